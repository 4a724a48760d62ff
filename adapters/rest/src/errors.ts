import createError from '@fastify/error'

/** The adapter's coded errors; core's (`errors` from @sprechzimmer/core) cover 400/401/404/409. */
export const restErrors = {
  scopeMissing: createError('SZ_API_KEY_SCOPE_MISSING', 'This API key lacks the scope %s', 403),
  idempotencyMismatch: createError('SZ_IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request', 422),
  externalIdTaken: createError('SZ_EXTERNAL_ID_TAKEN', 'An appointment with this externalId exists with other data; change it with PATCH', 409),
  providerUnknown: createError('SZ_PROVIDER_UNKNOWN', 'No provider of this practice matches %s', 422),
  providerMissing: createError('SZ_VALIDATION', 'providerId or providerEmail is required', 400),
  cursorInvalid: createError('SZ_VALIDATION', 'cursor is not valid', 400),
  urlInvalid: createError('SZ_WEBHOOK_URL_INVALID', '%s', 422),
  urlForbidden: createError(
    'SZ_WEBHOOK_URL_FORBIDDEN',
    'The webhook URL resolves to a private, loopback or otherwise non-public address (see SZ_ALLOW_PRIVATE_URLS)',
    422
  ),
  urlUnresolvable: createError('SZ_WEBHOOK_URL_UNRESOLVABLE', 'The webhook host name does not resolve', 422)
} as const
