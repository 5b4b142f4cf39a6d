/** A rotation step cannot proceed; Secrets Manager will retry the step or mark it failed. */
export class RotationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RotationError';
  }
}
