// The text shape of an API token, known both to config (the bootstrap token) and to access (issuing,
// verifying): `oh_<8 hex id prefix>_<43 base64url characters of secret>`.
export const TOKEN_PATTERN = /^oh_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;
