/**
 * Every error a route may raise on purpose, with its HTTP status and a stable code. The error
 * handler (core/web/errors.ts) turns them into a page or JSON; nothing else maps errors.
 */
export const errorCodes = {
  NOT_FOUND: { status: 404, message: 'core.error.notFound' },
  FORBIDDEN: { status: 403, message: 'core.error.forbidden' },
  UNAUTHORIZED: { status: 401, message: 'core.error.unauthorized' },
  INVALID_INPUT: { status: 400, message: 'core.error.invalidInput' },
  CSRF: { status: 403, message: 'core.error.csrf' },
  CONFLICT: { status: 409, message: 'core.error.conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'core.error.tooLarge' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'core.error.unsupportedMediaType' },
  RATE_LIMITED: { status: 429, message: 'core.error.rateLimited' },
  UNAVAILABLE: { status: 503, message: 'core.error.unavailable' },
  INTERNAL: { status: 500, message: 'core.error.internal' }
} as const

export type ErrorCode = keyof typeof errorCodes

export class KaikuError extends Error {
  readonly statusCode: number
  constructor(
    readonly code: ErrorCode,
    /** Shown to the person; must not reveal internals. Defaults to the code's catalogue message. */
    readonly detail?: string
  ) {
    super(detail ?? code)
    this.name = 'KaikuError'
    this.statusCode = errorCodes[code].status
  }
}

export class NotFoundError extends KaikuError {
  constructor(detail?: string) {
    super('NOT_FOUND', detail)
  }
}

export class ForbiddenError extends KaikuError {
  constructor(detail?: string) {
    super('FORBIDDEN', detail)
  }
}

export class InvalidInputError extends KaikuError {
  constructor(detail?: string) {
    super('INVALID_INPUT', detail)
  }
}

export class ConflictError extends KaikuError {
  constructor(detail?: string) {
    super('CONFLICT', detail)
  }
}
