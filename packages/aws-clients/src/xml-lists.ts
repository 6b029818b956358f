/**
 * The hole the zod answer schemas cannot see in XML (query-protocol: IAM, STS) answers: the SDK's
 * deserializer reads a list element that holds text (`<UserDetailList>none</UserDetailList>`), or
 * anything but `<member>` children, as an empty list, so a corrupted inventory reaches the readers as
 * "no users" and the checks pass. JSON answers keep the wrong type (the schema sees a string), XML
 * ones do not. So, before the deserializer runs, this middleware reads the raw body with the SDK's
 * own XML parser (`@aws-sdk/xml-builder`, the one the deserializer uses, so both see the same
 * document) and checks that every element the operation's schema (`RESPONSE_SCHEMAS`) declares as a
 * list is empty or holds only `<member>` elements; the list paths come from the zod schemas, so they
 * cannot drift from what the readers check. A bad one fails the call as `aws_response_invalid`
 * naming the operation and the field path (never the value). The body is then handed on, buffered,
 * to the deserializer (`collectBody` takes a Uint8Array as is).
 */

import { parseXML } from '@aws-sdk/xml-builder';
import type { DeserializeMiddleware, Pluggable } from '@smithy/types';
import { z } from 'zod';
import { operationName } from './call-counter.js';
import { AwsError } from './errors.js';
import { RESPONSE_SCHEMAS } from './responses/index.js';
import { fieldPath } from './responses/schema.js';

/**
 * The largest XML answer buffered here (the deserializer buffers it whole anyway). IAM pages are far
 * below it: a GetAccountAuthorizationDetails page of 1,000 entities with their policy documents is a
 * few MB. A larger answer is refused rather than read into memory without end.
 */
export const MAX_XML_ANSWER_BYTES = 64 * 1024 * 1024;

/** Where the lists are in an answer: an object's members that hold lists, or a list and its item. */
type ListShape = { kind: 'object'; members: Map<string, ListShape> } | { kind: 'list'; item?: ListShape };

/** The list shape of a zod schema; undefined when it holds no list. */
export function listShapeOf(schema: z.ZodType): ListShape | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return listShapeOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodDefault) return listShapeOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodArray) {
    const item = listShapeOf(schema.element as z.ZodType);
    return item ? { kind: 'list', item } : { kind: 'list' };
  }
  if (schema instanceof z.ZodObject) {
    const members = new Map<string, ListShape>();
    for (const [key, member] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const shape = listShapeOf(member);
      if (shape) members.set(key, shape);
    }
    return members.size > 0 ? { kind: 'object', members } : undefined;
  }
  return undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The path of the first list element in `value` (the parsed XML) that is not a list, or undefined.
 * Only lists are judged here: every other type, and a member that is missing, is the zod schema's to
 * judge on the deserialized answer.
 */
export function badListPath(
  value: unknown,
  shape: ListShape,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (shape.kind === 'object') {
    if (!isRecord(value)) return undefined;
    for (const [key, member] of shape.members) {
      if (!Object.hasOwn(value, key)) continue;
      const bad = badListPath(value[key], member, [...path, key]);
      if (bad) return bad;
    }
    return undefined;
  }
  // `<List/>` or `<List></List>`: the parser gives '' (or whitespace): an empty list.
  if (typeof value === 'string') return value.trim() === '' ? undefined : path;
  if (!isRecord(value)) return path;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'member') continue;
    // Whitespace between the members, kept by the parser when it holds no newline.
    if (key === '#text' && typeof child === 'string' && child.trim() === '') continue;
    return path;
  }
  if (!shape.item || value.member === undefined) return undefined;
  const items = Array.isArray(value.member) ? value.member : [value.member];
  for (const [i, item] of items.entries()) {
    const bad = badListPath(item, shape.item, [...path, i]);
    if (bad) return bad;
  }
  return undefined;
}

const shapes = new Map<string, ListShape | undefined>();
function shapeFor(operation: string): ListShape | undefined {
  if (!shapes.has(operation)) {
    const schema = RESPONSE_SCHEMAS[operation];
    shapes.set(operation, schema ? listShapeOf(schema) : undefined);
  }
  return shapes.get(operation);
}

function invalid(operation: string, field: string, message: string): AwsError {
  return new AwsError(
    {
      code: 'aws_response_invalid',
      message: `AWS answered an invalid ${field}: ${message}`,
      retryable: false,
      field,
    },
    { operation },
  );
}

async function buffer(operation: string, body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body === undefined || body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > MAX_XML_ANSWER_BYTES) {
      (body as { destroy?: () => void }).destroy?.();
      throw invalid(operation, '(the whole answer)', `larger than ${MAX_XML_ANSWER_BYTES} bytes`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** Throws `aws_response_invalid` when a list of `operation`'s answer (raw XML) is not a list. */
export function checkXmlLists(operation: string, xml: string): void {
  const shape = shapeFor(operation);
  if (!shape) return;
  let doc: unknown;
  try {
    doc = parseXML(xml);
  } catch {
    // Not XML at all: the deserializer fails on it with its own error, classified as invalid.
    return;
  }
  // <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>, as the query protocol wraps it.
  const op = operation.slice(operation.indexOf(':') + 1);
  const response = isRecord(doc) ? doc[`${op}Response`] : undefined;
  const result = isRecord(response) ? response[`${op}Result`] : undefined;
  if (result === undefined) return;
  const bad = badListPath(result, shape);
  if (bad) throw invalid(operation, fieldPath(bad), 'is not a list of <member> elements');
}

/**
 * The plugin for a query-protocol client (IAM, STS): placed right after the SDK's deserializer
 * middleware, so it runs once per attempt on the raw HTTP answer before the deserializer reads it.
 * https://aws.amazon.com/blogs/developer/middleware-stack-modular-aws-sdk-js/
 */
// biome-ignore lint/suspicious/noExplicitAny: a plugin for any client, as the SDK's own plugins are typed.
export function xmlListCheckPlugin(service: 'iam' | 'sts'): Pluggable<any, any> {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const check: DeserializeMiddleware<any, any> = (next, context) => async (args) => {
    const result = await next(args);
    const operation = operationName(service, context.commandName);
    const response = result.response as { statusCode?: number; body?: unknown } | undefined;
    // Error answers are the deserializer's to classify; operations without lists need no buffering.
    if (!response || (response.statusCode ?? 0) < 200 || response.statusCode! >= 300) return result;
    if (!shapeFor(operation)) return result;
    const bytes = await buffer(operation, response.body);
    response.body = bytes;
    checkXmlLists(operation, new TextDecoder().decode(bytes));
    return result;
  };
  return {
    applyToStack(stack) {
      stack.addRelativeTo(check, {
        relation: 'after',
        toMiddleware: 'deserializerMiddleware',
        name: 'cceXmlListCheck',
        override: true,
      });
    },
  };
}
