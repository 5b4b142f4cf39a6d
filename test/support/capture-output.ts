/** Collect what the process writes to stdout and stderr (Powertools logs and EMF metrics). */
export interface CapturedOutput {
  readonly lines: string[];
  text(): string;
  restore(): void;
}

export function captureOutput(options: { echo?: boolean } = {}): CapturedOutput {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, i) => {
    stream.write = (chunk: string | Uint8Array, ...rest: never[]): boolean => {
      lines.push(String(chunk));
      const original = originals[i];
      return options.echo === true && original !== undefined ? original(chunk, ...rest) : true;
    };
  });
  return {
    lines,
    text: () => lines.join('\n'),
    restore: () => {
      streams.forEach((stream, i) => {
        const original = originals[i];
        if (original !== undefined) stream.write = original;
      });
    },
  };
}
