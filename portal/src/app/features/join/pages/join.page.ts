import { ChangeDetectionStrategy, Component, DestroyRef, type ElementRef, computed, effect, inject, input, signal, viewChild } from '@angular/core'
import { Api, ApiError } from '../../../core/api/api.service'
import type { Entered, JoinInfo } from '../../../core/api/models'
import { CALL_STARTER, callFailure, type CallSession } from '../../../core/call/call-starter'
import { I18n } from '../../../core/i18n/i18n.service'
import { action } from '../../../shared/action'
import { Realtime, type RealtimeEvent } from '../../../core/realtime/realtime.service'
import { PrecallCheck } from '../services/precall-check'
import { CallMedia } from '../../../shared/call-media'

type Phase = 'loading' | 'unknown' | 'expired' | 'cancelled' | 'error' | 'not-open' | 'ready' | 'waiting' | 'call' | 'ended' | 'left'
interface Line {
  from: 'practice' | 'me'
  text: string
  at: number
}

/** `/join/:token`: the client's page, from the invitation mail to the call. No account, little code. */
@Component({
  selector: 'sz-join-page',
  imports: [CallMedia],
  providers: [Realtime, PrecallCheck],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @switch (phase()) {
      @case ('loading') { <p role="status" class="muted">{{ i18n.t('app.loading') }}</p> }
      @case ('unknown') { <h1>{{ i18n.t('join.unknown') }}</h1><p>{{ i18n.t('join.unknownText') }}</p> }
      @case ('expired') { <h1>{{ i18n.t('join.expired') }}</h1><p>{{ i18n.t('join.expiredText') }}</p> }
      @case ('cancelled') { <h1>{{ i18n.t('join.cancelled') }}</h1><p>{{ i18n.t('join.cancelledText') }}</p> }
      @case ('error') {
        <h1>{{ i18n.t('join.title') }}</h1>
        <div role="alert" class="notice error"><p>{{ failure() }}</p><button type="button" (click)="load()">{{ i18n.t('app.retry') }}</button></div>
      }
      @case ('left') { <h1>{{ i18n.t('join.title') }}</h1><p role="status">{{ i18n.t('join.left') }}</p> }
      @case ('ended') { <h1>{{ i18n.t('join.title') }}</h1><p role="status">{{ i18n.t('call.ended') }}</p> }
      @default {
        @if (info(); as i) {
          <h1>{{ i18n.t('join.title') }}</h1>
          <p>{{ i18n.t('join.with', { practice: i.consultation.practice.name, provider: i.consultation.provider.displayName }) }}</p>
          <p>{{ i18n.t('join.at', { time: i18n.dateTime(i.consultation.start, { dateStyle: 'full', timeStyle: 'short' }) }) }}</p>
        }
      }
    }

    @if (phase() === 'not-open') {
      <p role="status" class="notice">{{ i18n.t('join.notOpen') }}. {{ i18n.t('join.notOpenText', { time: opensAt() }) }}</p>
    }

    @if (phase() === 'ready' || phase() === 'not-open') {
      <section class="card" aria-labelledby="check-heading">
        <h2 id="check-heading">{{ i18n.t('join.check') }}</h2>
        <video #preview class="video" autoplay muted playsinline [attr.aria-label]="i18n.t('call.localPreview')" [hidden]="!check.stream()"></video>
        @if (check.state() === 'ok') {
          <p role="status" class="notice ok">{{ i18n.t('join.checkRunning') }}</p>
          <label>{{ i18n.t('join.micLevel') }} <meter class="meter" min="0" max="1" [value]="check.level()"></meter></label>
        } @else if (check.state() === 'failed') {
          <p role="alert" class="notice error">{{ i18n.t('join.checkFailed') }}</p>
        }
        <button type="button" (click)="runCheck()" [disabled]="check.state() === 'running'">{{ i18n.t('join.check') }}</button>
        <p>{{ i18n.t('join.connection') }}:
          @if (rtt() !== null) { <span class="ok-text">{{ i18n.t('join.connectionOk', { ms: rtt()! }) }}</span> } @else {
            <span>{{ i18n.t('join.connectionBad') }}</span> }
        </p>
      </section>
    }

    @if (phase() === 'ready') {
      <form (submit)="enter($event)" class="card">
        <label>{{ i18n.t('join.name') }} <input name="displayName" required maxlength="100" autocomplete="name" aria-describedby="name-hint"></label>
        <small id="name-hint">{{ i18n.t('join.nameHint') }}</small>
        @if (entry.error()) { <p role="alert" class="notice error">{{ entry.error() }}</p> }
        <button type="submit" [disabled]="entry.busy()">{{ i18n.t('join.enter') }}</button>
      </form>
    }

    @if (phase() === 'waiting') {
      <section class="card" aria-labelledby="waiting-heading">
        <div role="status"><h2 id="waiting-heading">{{ i18n.t('join.waiting', { provider: provider() }) }}</h2></div>
        <p class="muted">{{ i18n.t('join.waitingSince', { time: since() }) }}</p>
        @if (late()) { <p role="alert" class="notice">{{ i18n.t('join.late', { provider: provider(), n: late()! }) }}</p> }
        <h3>{{ i18n.t('join.messages') }}</h3>
        <ul class="chat" aria-live="polite" [attr.aria-label]="i18n.t('join.messages')">
          @for (line of lines(); track line.at) { <li [class.mine]="line.from === 'me'">{{ line.text }}</li> }
        </ul>
        <form class="row" (submit)="reply($event)">
          <label>{{ i18n.t('join.reply') }} <input name="text" required maxlength="1000" autocomplete="off"></label>
          <button type="submit">{{ i18n.t('today.send') }}</button>
        </form>
      </section>
    }

    @if (phase() === 'call') {
      <section aria-labelledby="call-heading">
        <div role="status"><h2 id="call-heading" class="call-state">{{ i18n.t('call.connectedTo', { name: provider() }) }}</h2></div>
        @if (mediaFailed()) {
          <p role="alert" class="notice error">{{ i18n.t(mediaFailed()!) }}</p>
        } @else {
          <sz-call-media [session]="session()" />
        }
      </section>
    }

    @if (phase() === 'waiting' || phase() === 'call') {
      <button type="button" class="danger" (click)="leave()">{{ i18n.t('join.leave') }}</button>
    }
  `
})
export class JoinPage {
  protected readonly i18n = inject(I18n)
  protected readonly check = inject(PrecallCheck)
  private readonly api = inject(Api)
  private readonly realtime = inject(Realtime)
  private readonly startCall = inject(CALL_STARTER)
  readonly token = input.required<string>()
  private readonly preview = viewChild<ElementRef<HTMLVideoElement>>('preview')
  protected readonly phase = signal<Phase>('loading')
  protected readonly info = signal<JoinInfo | null>(null)
  protected readonly failure = signal<string | null>(null)
  /** Entering the waiting room; its error stays beside the name field. */
  protected readonly entry = action()
  protected readonly rtt = signal<number | null>(null)
  protected readonly lines = signal<Line[]>([])
  protected readonly late = signal<number | null>(null)
  private readonly entered = signal<Entered | null>(null)
  private readonly enteredAt = signal<Date | null>(null)
  protected readonly session = signal<CallSession | null>(null)
  protected readonly mediaFailed = signal<ReturnType<typeof callFailure> | null>(null)
  private openTimer: ReturnType<typeof setTimeout> | null = null
  protected readonly provider = computed(() => this.info()?.consultation.provider.displayName ?? '')
  protected readonly opensAt = computed(() => {
    const i = this.info()
    return i ? this.i18n.dateTime(i.waitingRoomOpensAt, { timeStyle: 'short' }) : ''
  })
  protected readonly since = computed(() => {
    const at = this.enteredAt()
    return at ? this.i18n.time(at) : ''
  })

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.check.stop()
      this.session()?.hangUp()
      if (this.openTimer) clearTimeout(this.openTimer)
    })
    // Video elements appear with their phase; attach the stream when they do.
    effect(() => {
      const video = this.preview()?.nativeElement
      const stream = this.check.stream()
      if (video && video.srcObject !== stream) video.srcObject = stream
    })
    this.realtime.events.subscribe(event => this.onEvent(event))
  }

  ngOnInit(): void {
    void this.load()
  }

  protected async load(): Promise<void> {
    this.phase.set('loading')
    this.failure.set(null)
    const started = performance.now()
    try {
      const info = await this.api.get<JoinInfo>(`/api/join/${encodeURIComponent(this.token())}`)
      this.rtt.set(Math.round(performance.now() - started))
      this.info.set(info)
      if (info.waitingRoomOpen) this.phase.set('ready')
      else this.notOpen(info.waitingRoomOpensAt)
    } catch (err) {
      this.fail(err)
    }
  }

  protected async runCheck(): Promise<void> {
    await this.check.start()
  }

  protected async enter(event: Event): Promise<void> {
    event.preventDefault()
    const displayName = String((new FormData(event.target as HTMLFormElement).get('displayName') as string | null) ?? '').trim()
    if (!displayName) return
    await this.entry.run(async () => {
      try {
        const entered = await this.api.post<Entered>(`/api/join/${encodeURIComponent(this.token())}`, { displayName })
        this.entered.set(entered)
        this.enteredAt.set(new Date())
        this.realtime.connect()
        if (entered.status === 'admitted') await this.toCall()
        else this.phase.set('waiting')
      } catch (err) {
        // Not open yet, or gone: the page changes its phase instead of showing the error.
        if (err instanceof ApiError && err.status === 425) this.notOpen(this.info()?.waitingRoomOpensAt)
        else if (err instanceof ApiError && [404, 410].includes(err.status)) this.fail(err)
        else throw err
      }
    })
  }

  protected reply(event: Event): void {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const text = String((new FormData(form).get('text') as string | null) ?? '').trim()
    const entered = this.entered()
    if (!text || !entered) return
    if (this.realtime.send(entered.consultationId, 'providers', 'chat', { text })) {
      this.lines.update(lines => [...lines, { from: 'me', text, at: Date.now() }])
      form.reset()
    }
  }

  protected async leave(): Promise<void> {
    const entered = this.entered()
    this.realtime.close()
    this.check.stop()
    this.session()?.hangUp()
    if (entered) await this.api.post('/api/participant/leave', null, { authorization: `Bearer ${entered.credential}` }).catch(() => undefined)
    this.phase.set('left')
  }

  private onEvent(event: RealtimeEvent): void {
    const entered = this.entered()
    if (!entered || (event['consultationId'] !== undefined && event['consultationId'] !== entered.consultationId)) return
    if (event.type === 'participant.admitted' && (event['participant'] as { id?: string })?.id === entered.participantId) void this.toCall()
    else if (event.type === 'consultation.state' && ['ended', 'purged', 'cancelled'].includes(String(event['state']))) this.end()
    else if (event.type === 'message') {
      const body = event['body'] as { text?: unknown; minutes?: unknown }
      if (event['kind'] === 'chat' && typeof body?.text === 'string')
        this.lines.update(lines => [...lines, { from: 'practice', text: body.text as string, at: Date.now() }])
      if (event['kind'] === 'late' && typeof body?.minutes === 'number') this.late.set(body.minutes)
    }
  }

  private async toCall(): Promise<void> {
    if (this.phase() === 'call') return
    this.check.stop()
    this.phase.set('call')
    try {
      this.session.set(await this.startCall({ consultationId: this.entered()!.consultationId, role: 'participant' }))
    } catch (err) {
      this.mediaFailed.set(callFailure(err))
    }
  }

  private end(): void {
    this.session()?.hangUp()
    this.check.stop()
    this.realtime.close()
    this.phase.set('ended')
  }

  private notOpen(opensAt: string | undefined): void {
    this.phase.set('not-open')
    if (!opensAt) return
    if (this.openTimer) clearTimeout(this.openTimer)
    const wait = Math.max(1000, Date.parse(opensAt) - Date.now() + 500)
    if (wait < 2 ** 31 - 1) this.openTimer = setTimeout(() => void this.load(), wait)
  }

  private fail(err: unknown): void {
    if (err instanceof ApiError) {
      if (err.code === 'SZ_CONSULTATION_CANCELLED') return this.phase.set('cancelled')
      if (err.status === 410) return this.phase.set('expired')
      if (err.status === 404) return this.phase.set('unknown')
    }
    this.failure.set(this.i18n.error(err))
    this.phase.set('error')
  }
}
