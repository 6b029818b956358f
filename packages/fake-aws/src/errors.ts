/** An AWS service error as the wire protocol reports it: the code, its HTTP status and message. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** `Sender` (client fault) or `Receiver` (server fault), as the query protocol reports it. */
  readonly type: 'Sender' | 'Receiver';
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.type = status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** The message AWS uses for a member that fails its length/range constraint. */
export function validationMessage(member: string, value: unknown, constraint: string): string {
  return `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`;
}
