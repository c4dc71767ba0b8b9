// Typed refusals of the business operations, in domain words; the API alone maps them to HTTP.

/** One offending field, named by its path inside the operation's input (e.g. `cursor`, `lines[0].qty`). */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Base of every refusal a service throws on purpose: a short title, a detail, the fields at fault. */
export abstract class DomainError extends Error {
  constructor(
    readonly title: string,
    detail: string,
    readonly fields: FieldIssue[] = [],
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (or is not visible through this reference). */
export class NotFound extends DomainError {
  constructor(detail: string, title = 'Not found') {
    super(title, detail);
  }
}

/** The thing exists, but its present state refuses the operation (an order already closed, a duplicate). */
export class NotPossibleNow extends DomainError {
  constructor(detail: string, title = 'Not possible now') {
    super(title, detail);
  }
}

/** The input is malformed in a way its schema could not see (e.g. a cursor this service never issued). */
export class InvalidInput extends DomainError {
  constructor(detail: string, fields: FieldIssue[], title = 'Invalid request') {
    super(title, detail, fields);
  }
}

/** Well-formed input that the business rules refuse (stock below what is reserved, an unknown site). */
export class RuleViolation extends DomainError {}

/** A fulfiller code that names no fulfiller. */
export class UnknownFulfiller extends RuleViolation {
  constructor(code: string, field = 'fulfiller') {
    super('Unknown fulfiller', `no fulfiller ${code}`, [{ field, message: 'unknown fulfiller' }]);
  }
}
