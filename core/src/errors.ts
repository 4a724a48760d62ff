import createError from '@fastify/error'

/** Every error the API answers with has a stable `SZ_…` code; clients switch on the code, not the text. */
export const errors = {
  validation: createError('SZ_VALIDATION', '%s', 400),
  tooDeep: createError('SZ_JSON_TOO_DEEP', 'JSON may nest at most %s levels deep', 400),
  unauthorized: createError('SZ_UNAUTHORIZED', 'Authentication required', 401),
  sessionIdle: createError('SZ_SESSION_IDLE', 'Signed out after a while without activity; sign in again', 401),
  invalidCredentials: createError('SZ_INVALID_CREDENTIALS', 'E-mail or password is wrong', 401),
  csrf: createError('SZ_CSRF_TOKEN_INVALID', 'The x-csrf-token header is missing or wrong', 403),
  forbidden: createError('SZ_FORBIDDEN', '%s', 403),
  notFound: createError('SZ_NOT_FOUND', '%s not found', 404),
  emailTaken: createError('SZ_EMAIL_TAKEN', 'An account with this e-mail address exists already', 409),
  registrationClosed: createError('SZ_REGISTRATION_CLOSED', 'New practices are created by the operator of this installation', 403),
  practiceNotApproved: createError('SZ_PRACTICE_NOT_APPROVED', 'The practice is waiting for the approval of the operator', 403),
  practiceSuspended: createError('SZ_PRACTICE_SUSPENDED', 'The practice is suspended; contact the operator', 403),
  emailUnverified: createError('SZ_EMAIL_UNVERIFIED', 'Confirm your e-mail address first (the link in our mail)', 403),
  emailAlreadyVerified: createError('SZ_EMAIL_ALREADY_VERIFIED', 'This e-mail address is confirmed already', 409),
  verificationInvalid: createError('SZ_VERIFICATION_INVALID', 'This link is not valid', 410),
  verificationUsed: createError('SZ_VERIFICATION_USED', 'This link was used already', 410),
  resetLinkInvalid: createError('SZ_RESET_TOKEN_INVALID', 'This password-reset link is not valid (used, expired or unknown)', 400),
  verificationExpired: createError('SZ_VERIFICATION_EXPIRED', 'This link has expired; request a new one', 410),
  invalidTransition: createError('SZ_INVALID_STATE', 'The consultation is %s; this is not possible now', 409),
  clientWasAdmitted: createError('SZ_CLIENT_WAS_ADMITTED', 'A client was admitted to this consultation, so it is not a no-show', 409),
  alreadyAdmitted: createError('SZ_PARTICIPANT_NOT_WAITING', 'The participant is %s, not waiting', 409),
  joinLinkInvalid: createError('SZ_JOIN_LINK_INVALID', 'This join link is not valid', 404),
  joinLinkExpired: createError('SZ_JOIN_LINK_EXPIRED', 'This join link has expired', 410),
  consultationCancelled: createError('SZ_CONSULTATION_CANCELLED', 'This consultation was cancelled', 410),
  joinLinkFull: createError('SZ_JOIN_LINK_FULL', 'This join link is in use by %s people already', 409),
  waitingRoomNotOpen: createError('SZ_WAITING_ROOM_NOT_OPEN', 'The waiting room opens at %s', 425),
  databaseUnavailable: createError('SZ_DATABASE_UNAVAILABLE', 'The database does not answer', 503),
  rateLimited: createError('SZ_RATE_LIMITED', 'Too many requests; try again in %s', 429),
  loginBackoff: createError('SZ_LOGIN_BACKOFF', 'Too many failed sign-ins for this address; try again in %s seconds', 429),
  quotaExceeded: createError('SZ_QUOTA_EXCEEDED', 'The practice reached its limit of %s; try again later or ask the operator', 429),
  notAdmitted: createError('SZ_NOT_ADMITTED', 'Only admitted participants of a running call receive its connection data', 403),
  mediaUnavailable: createError('SZ_MEDIA_UNAVAILABLE', 'The media server does not answer', 503)
} as const

export type CodedError = Error & { code: string; statusCode: number }
