import createError from '@fastify/error'

/** Coded errors of the account, profile and practice-staff routes. */
export const accountErrors = {
  passwordWrong: createError('SZ_PASSWORD_WRONG', 'The current password is wrong', 403),
  accountDeactivated: createError('SZ_ACCOUNT_DEACTIVATED', 'This account is deactivated; ask your practice administrator', 403),
  consentRequired: createError('SZ_CONSENT_REQUIRED', 'A profile picture needs your consent first', 409),
  pictureType: createError('SZ_PICTURE_TYPE', 'A profile picture must be a JPEG, PNG or WebP image', 415),
  pictureUnreadable: createError('SZ_PICTURE_UNREADABLE', 'The picture could not be read as an image', 422),
  lastAdmin: createError('SZ_LAST_ADMIN', 'The practice needs at least one active administrator', 409)
} as const
