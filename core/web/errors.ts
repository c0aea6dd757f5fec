import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorCodes, KaikuError, type ErrorCode } from '../errors.js'
import type { MessageCatalogue } from './i18n.js'

/** Fastify's and its plugins' own error codes, mapped onto ours. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_INPUT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_INPUT',
  FST_ERR_VALIDATION: 'INVALID_INPUT',
  FST_CSRF_INVALID_TOKEN: 'CSRF',
  FST_CSRF_MISSING_SECRET: 'CSRF'
}

function classify(error: FastifyError | KaikuError): { code: ErrorCode; status: number; detail?: string } {
  if (error instanceof KaikuError) return { code: error.code, status: error.statusCode, detail: error.detail }
  if (error.validation) return { code: 'INVALID_INPUT', status: 400, detail: error.message }
  const mapped = error.code ? frameworkCodes[error.code] : undefined
  if (mapped) return { code: mapped, status: errorCodes[mapped].status, detail: mapped === 'INVALID_INPUT' ? error.message : undefined }
  const status = error.statusCode ?? 500
  if (status === 429) return { code: 'RATE_LIMITED', status }
  if (status >= 400 && status < 500) return { code: status === 404 ? 'NOT_FOUND' : 'INVALID_INPUT', status, detail: error.message }
  return { code: 'INTERNAL', status: 500 }
}

/** Browsers get a page, API clients JSON; the choice follows the Accept header. */
export const wantsHtml = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? ''
  return accept.includes('text/html') || !accept.includes('json')
}

async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  catalogue: MessageCatalogue,
  code: ErrorCode,
  status: number,
  detail?: string
) {
  const message = catalogue.t(request.locale, errorCodes[code].message)
  if (!wantsHtml(request)) {
    return reply.code(status).type('application/json; charset=utf-8').send({ statusCode: status, code, message, detail, requestId: request.id })
  }
  try {
    return await reply.page('core/error', { status, code, message, detail }, { title: 'core.error.title', status })
  } catch (renderError) {
    request.log.error({ err: renderError }, 'error page failed to render')
    return reply.code(status).type('text/plain; charset=utf-8').send(`${status} ${message}`)
  }
}

/**
 * The one place errors become responses. A 5xx never shows its message or stack (it is logged with
 * the request id, which the page shows); a 4xx says what was wrong.
 */
export function registerErrorHandling(app: FastifyInstance, catalogue: MessageCatalogue): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const { code, status, detail } = classify(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code, status, reason: error.message }, 'request refused')
    return respond(request, reply, catalogue, code, status, status >= 500 ? undefined : detail)
  })

  app.setNotFoundHandler(async (request, reply) => respond(request, reply, catalogue, 'NOT_FOUND', 404))
}
