/** A deployment's answer to a leaked live token (no imports: the library's types name it). */
export const LEAK_POLICIES = ['revoke', 'notify'] as const;

/** `revoke`: it stops working; `notify`: its owner is alerted and it works until revoked. */
export type LeakPolicy = (typeof LEAK_POLICIES)[number];
