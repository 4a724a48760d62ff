import { Injectable, computed, inject, signal } from '@angular/core'
import { Api, ApiError } from '../api/api.service'
import type { Me, Practice, User, VerificationSent } from '../api/models'

export interface Credentials {
  email: string
  password: string
}

/** The logged-in provider, loaded once from GET /api/me; the CSRF token goes to Api. */
@Injectable({ providedIn: 'root' })
export class Auth {
  private readonly api = inject(Api)
  readonly user = signal<User | null>(null)
  readonly practice = signal<Practice | null>(null)
  readonly loggedIn = computed(() => this.user() !== null)
  private loading: Promise<User | null> | null = null

  /** Resolves to the user, or null when nobody is logged in; a network failure propagates. */
  load(): Promise<User | null> {
    this.loading ??= this.api.get<Me>('/api/me').then(
      me => this.accept(me),
      (err: unknown) => {
        this.loading = null
        if (err instanceof ApiError && err.status === 401) {
          this.clear()
          return null
        }
        throw err
      }
    )
    return this.loading
  }

  async login(credentials: Credentials): Promise<User> {
    const result = await this.api.post<{ user: User; csrfToken: string }>('/api/auth/login', credentials)
    this.api.csrfToken.set(result.csrfToken)
    this.loading = null
    return (await this.load()) ?? result.user
  }

  /**
   * Registers a provider and signs them in. The server answers 202 whether or not the address has an
   * account already (so that nobody learns it), and the mailed link proves the address later: login works
   * before that, and a taken address surfaces here as failed credentials.
   */
  async register(body: Record<string, unknown> & Credentials): Promise<User> {
    await this.api.post<VerificationSent>('/api/auth/register', { kind: 'provider', ...body })
    return await this.login({ email: body.email, password: body.password })
  }

  /** Loads the user again, e.g. once the address is confirmed, so that the banner and pages follow. */
  refresh(): Promise<User | null> {
    this.loading = null
    return this.load()
  }

  /** The server ended every session (an undone address change): forget the user here as well. */
  forget(): void {
    this.clear()
    this.loading = Promise.resolve(null)
  }

  async logout(): Promise<void> {
    try {
      await this.api.post('/api/auth/logout')
    } finally {
      this.clear()
      this.loading = Promise.resolve(null)
    }
  }

  private accept(me: Me): User {
    this.user.set(me.user)
    this.practice.set(me.practice ?? null)
    this.api.csrfToken.set(me.csrfToken)
    return me.user
  }

  private clear(): void {
    this.user.set(null)
    this.practice.set(null)
    this.api.csrfToken.set(null)
  }
}
