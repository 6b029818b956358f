import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from './logger.js';

describe('logger redaction', () => {
  it('keeps AWS credentials, API keys and External IDs out of log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info(
      {
        role: { credentials: { accessKeyId: 'ASIAXXX', secretAccessKey: 'sekret', sessionToken: 'tok' } },
        connection: { externalId: 'cce-abc', roleArn: 'arn:aws:iam::111122223333:role/x' },
        req: { headers: { authorization: 'Bearer cce_key' } },
        apiKey: 'cce_key',
      },
      'hello',
    );
    const out = lines.join('');
    for (const secret of ['ASIAXXX', 'sekret', 'tok', 'cce-abc', 'cce_key'])
      expect(out).not.toContain(secret);
    expect(out).toContain('arn:aws:iam::111122223333:role/x');
  });
});
