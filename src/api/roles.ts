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
