/** A subset of RFC 6902 JSON Patch (add, remove, replace) used by `PATCH /_fake/scenario`. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function applyJsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): void {
  for (const operation of operations) {
    const tokens = parsePointer(operation.path);
    const last = tokens.pop();
    if (last === undefined) throw new Error('cannot patch the document root');
    let parent: unknown = document;
    for (const t of tokens) {
      if (parent === null || typeof parent !== 'object') throw new Error(`no such path ${operation.path}`);
      parent = (parent as Record<string, unknown>)[t];
    }
    if (parent === null || typeof parent !== 'object') throw new Error(`no such path ${operation.path}`);
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length)
        throw new Error(`bad index in ${operation.path}`);
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (index >= parent.length) throw new Error(`no such path ${operation.path}`);
      else if (operation.op === 'remove') parent.splice(index, 1);
      else parent[index] = operation.value;
    } else {
      const obj = parent as Record<string, unknown>;
      if (operation.op !== 'add' && !(last in obj)) throw new Error(`no such path ${operation.path}`);
      if (operation.op === 'remove') delete obj[last];
      else obj[last] = operation.value;
    }
  }
}
