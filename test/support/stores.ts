/** Fakes of the repositories for tests that need one call to fail, race or return more. */
import type { Stores } from '../../shared/store';

/**
 * The repositories with some methods of one repository replaced; every other method is the
 * real one (the fake inherits from the real repository, so the replacements may call it).
 */
export function overriding<K extends keyof Stores, R extends Pick<Stores, K>>(
  stores: R,
  repository: K,
  methods: Partial<R[K]>,
): R {
  const fake: R[K] = Object.assign(Object.create(stores[repository]) as R[K], methods);
  return { ...stores, [repository]: fake };
}
