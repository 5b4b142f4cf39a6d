/**
 * Token core, in one process on one thread: issuing tokens, and rejecting malformed ones
 * offline (no database call), per kind of malformation.
 */
import { generateToken, hashToken, parseToken } from '../shared/token/format';
import { measureThroughput, type BenchRow } from './report';

const SAMPLES = 4_096;

function corpus(make: (token: string, i: number) => string): string[] {
  return Array.from({ length: SAMPLES }, (_, i) => make(generateToken(), i));
}

export async function benchTokenCore(): Promise<BenchRow[]> {
  const wrongLength = corpus((t, i) => t.slice(0, 10 + (i % 40)));
  const badCharacter = corpus((t, i) => {
    const at = 3 + (i % 49);
    return `${t.slice(0, at)}-${t.slice(at + 1)}`;
  });
  const badChecksum = corpus((t) => t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A'));
  const mixed = corpus((t, i) => [wrongLength, badCharacter, badChecksum][i % 3]?.[i] ?? t);
  const valid = corpus((t) => t);
  const pick = (list: string[], i: number) => list[i & (SAMPLES - 1)] ?? '';

  const results = await measureThroughput({
    generate: () => generateToken(),
    'reject wrong length': (i) => parseToken(pick(wrongLength, i)).ok || undefined,
    'reject bad character': (i) => parseToken(pick(badCharacter, i)).ok || undefined,
    'reject bad checksum': (i) => parseToken(pick(badChecksum, i)).ok || undefined,
    'reject mixed malformed': (i) => parseToken(pick(mixed, i)).ok || undefined,
    'parse valid + SHA-256': (i) => {
      const parsed = parseToken(pick(valid, i));
      return parsed.ok ? hashToken(parsed.token) : undefined;
    },
  });

  const row = (name: string, label: string, target?: number): BenchRow => {
    const result = results.get(name);
    if (result === undefined) throw new Error(`no result for ${name}`);
    return {
      section: 'token core',
      name: label,
      value: result.opsPerSecond,
      unit: 'ops/s',
      ...(target === undefined ? {} : { target: { op: '>=', value: target } }),
      note: `±${result.rme.toFixed(1)}%`,
    };
  };
  return [
    row('generate', 'token generation', 100_000),
    row('reject wrong length', 'malformed rejection: wrong length', 1_000_000),
    row('reject bad character', 'malformed rejection: bad character', 1_000_000),
    row('reject bad checksum', 'malformed rejection: bad checksum (CRC32)', 1_000_000),
    row('reject mixed malformed', 'malformed rejection: mixed corpus', 1_000_000),
    row('parse valid + SHA-256', 'valid token: parse + SHA-256 (pre-lookup path)'),
  ];
}
