import { Injectable, inject, signal } from '@angular/core'
import { HttpClient, HttpErrorResponse, HttpHeaders, HttpParams } from '@angular/common/http'
import { firstValueFrom, type Observable } from 'rxjs'

/** A failed API call, reduced to what the UI may show: the status and the server's stable SZ_ code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof HttpErrorResponse) {
    const body = err.error as { code?: unknown; message?: unknown } | null
    if (err.status === 0) return new ApiError(0, 'SZ_NETWORK', 'network error')
    const code = body && typeof body.code === 'string' && body.code.startsWith('SZ_') ? body.code : `HTTP_${err.status}`
    return new ApiError(err.status, code, typeof body?.message === 'string' ? body.message : err.statusText)
  }
  return new ApiError(0, 'SZ_UNKNOWN', err instanceof Error ? err.message : String(err))
}

type Query = Record<string, string | number | boolean>

/** The portal's only door to the server: same-origin JSON, the CSRF header on every write, coded errors. */
@Injectable({ providedIn: 'root' })
export class Api {
  private readonly http = inject(HttpClient)
  /** From login or GET /api/me; cookie-authenticated writes must echo it. */
  readonly csrfToken = signal<string | null>(null)

  get<T>(url: string, query?: Query): Promise<T> {
    return this.run(this.http.get<T>(url, { params: query ? new HttpParams({ fromObject: query }) : undefined }))
  }

  post<T>(url: string, body: unknown = null, extraHeaders: Record<string, string> = {}): Promise<T> {
    return this.run(this.http.post<T>(url, body, { headers: this.headers(extraHeaders) }))
  }

  patch<T>(url: string, body: unknown): Promise<T> {
    return this.run(this.http.patch<T>(url, body, { headers: this.headers() }))
  }

  put<T>(url: string, body: unknown, contentType?: string): Promise<T> {
    return this.run(this.http.put<T>(url, body, { headers: this.headers(contentType ? { 'content-type': contentType } : {}) }))
  }

  delete<T = void>(url: string): Promise<T> {
    return this.run(this.http.delete<T>(url, { headers: this.headers() }))
  }

  private headers(extra: Record<string, string> = {}): HttpHeaders {
    const csrf = this.csrfToken()
    return new HttpHeaders(csrf ? { 'x-csrf-token': csrf, ...extra } : extra)
  }

  private async run<T>(request: Observable<T>): Promise<T> {
    try {
      return await firstValueFrom(request, { defaultValue: undefined as T })
    } catch (err) {
      throw toApiError(err)
    }
  }
}
