import { Injectable, inject } from '@angular/core'
import { Api } from '../api/api.service'
import type { User, VerificationSent } from '../api/models'
import { Auth } from './auth.service'

/** The links mailed to prove an address: opening one, asking for another, and taking an address change back. */
@Injectable({ providedIn: 'root' })
export class EmailVerification {
  private readonly api = inject(Api)
  private readonly auth = inject(Auth)

  /**
   * Opens a link from the registration or address-change mail. The signed-in user is loaded again, so
   * the banner and every page see the confirmed (or changed) address at once.
   */
  async confirm(token: string): Promise<User> {
    const { user } = await this.api.post<{ user: User }>('/api/auth/verify-email', { token })
    await this.auth.refresh().catch(() => null)
    return user
  }

  /** Mails the signed-in user a new link; the server allows one a minute and five a day (429). */
  async resend(): Promise<void> {
    await this.api.post<VerificationSent>('/api/auth/verify-email/resend')
  }

  /**
   * Takes an address change back with the link mailed to the old address. The server ends every session
   * and voids the password, so the user is forgotten here too: the next step is a password reset.
   */
  async undoChange(token: string): Promise<User> {
    const { user } = await this.api.post<{ user: User; passwordReset: 'required' }>('/api/auth/email-change/undo', { token })
    this.auth.forget()
    return user
  }
}
