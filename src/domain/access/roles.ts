// The roles a token can carry; every route names the ones it admits.
export const roles = [
  'admin',
  'supervisor',
  'ops',
  'cs',
  'finance',
  'warehouse',
  'legal',
  'risk',
  'integration',
] as const;
export type Role = (typeof roles)[number];
export const everyone: Role[] = [...roles];

/** An API token: `oh_<8 hex prefix>_<43 base64url secret>`; the prefix finds the row, the whole token is hashed. */
export { TOKEN_PATTERN } from '../../platform/token-format';
