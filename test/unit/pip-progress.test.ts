/**
 * First-run feedback: while moto installs, the console says what is being installed, how far
 * it is and how long it has taken, a line every few seconds rather than 80 s of silence.
 */
import { describe, expect, it } from 'vitest';
import { PipProgress, requirementCount } from '../../local/emulators/python-env';

describe('the install progress of a virtualenv', () => {
  it('counts the pinned requirements, not comments or blank lines', () => {
    expect(requirementCount('# moto\n\nboto3==1.44.5\nmoto[server]==5.1.0\n  # end\n')).toBe(2);
  });

  it('reports packages fetched out of the total, at most every 3 s, then the install and the end', () => {
    let now = 0;
    const progress = new PipProgress('moto', 3, () => now);
    const shown: (string | undefined)[] = [];
    const feed = (at: number, line: string) => {
      now = at;
      shown.push(progress.line(line));
    };
    feed(1000, 'Collecting boto3==1.44.5 (from -r requirements-emulators.txt (line 7))');
    feed(3500, '  Downloading boto3-1.44.5-py3-none-any.whl (139 kB)');
    feed(3600, 'Collecting botocore==1.44.5');
    feed(7000, 'Collecting moto[server]==5.1.0');
    feed(7500, 'Installing collected packages: boto3, botocore, moto');
    feed(8000, 'Installing collected packages: again');
    now = 12_000;
    expect(shown).toEqual([
      undefined,
      undefined,
      'Installing moto: 2/3 packages fetched (botocore), 4 s',
      'Installing moto: 3/3 packages fetched (moto), 7 s',
      'Installing moto: all 3 packages fetched; installing them, 8 s',
      undefined,
    ]);
    expect(progress.done()).toBe('Installed moto (3 packages) in 12 s');
  });
});
