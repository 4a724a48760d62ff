import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal } from '@angular/core'
import { Router, RouterLink } from '@angular/router'
import { I18n } from '../../../core/i18n/i18n.service'
import { Realtime } from '../../../core/realtime/realtime.service'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'
import { Knock } from '../services/knock'
import { WaitingRoom, type ChatLine, type Waiting } from '../services/waiting-room'

@Component({
  selector: 'sz-today-page',
  imports: [RouterLink, Status],
  providers: [Realtime, WaitingRoom],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="page-head">
      <h1>{{ i18n.t('today.title') }}
        @if (room.waiting().length) { <span class="badge" role="status">{{ i18n.t('today.knock', { n: room.waiting().length }) }}</span> }
      </h1>
      <label class="inline"><input type="checkbox" [checked]="knock.muted()" (change)="mute($event)"> {{ i18n.t('today.mute') }}</label>
      <span class="muted">{{ i18n.t('today.live', { state: room.connected() ? i18n.t('today.connected') : i18n.t('today.disconnected') }) }}</span>
    </div>

    <section aria-labelledby="waiting-heading" class="card">
      <h2 id="waiting-heading">{{ i18n.t('today.waitingRoom') }}</h2>
      @for (p of room.waiting(); track p.id) {
        <article class="waiting" [attr.aria-label]="name(p)">
          <h3>{{ name(p) }} <small class="muted">{{ titleOf(p.consultationId) }}</small></h3>
          <p class="muted">{{ i18n.t('today.waitingFor', { time: i18n.duration(now() - waitedSince(p)) }) }}</p>
          <ul class="chat" [attr.aria-label]="i18n.t('today.chatLog', { name: name(p) })" aria-live="polite">
            @for (line of chatOf(p.id); track line.at) { <li [class.mine]="line.from === 'me'">{{ line.text }}</li> }
          </ul>
          <form class="row" (submit)="chat($event, p)">
            <label>{{ i18n.t('today.chat', { name: name(p) }) }} <input name="text" required maxlength="1000" autocomplete="off"></label>
            <button type="submit">{{ i18n.t('today.send') }}</button>
          </form>
          <form class="row" (submit)="late($event, p)">
            <label>{{ i18n.t('today.late') }} <input name="minutes" type="number" min="1" max="240" value="10" required></label>
            <button type="submit">{{ i18n.t('today.sendLate') }}</button>
          </form>
          @if (notice()[p.id]) { <p role="status" class="notice ok">{{ notice()[p.id] }}</p> }
          <button type="button" class="primary" (click)="admit(p)">{{ i18n.t('today.admit', { name: name(p) }) }}</button>
        </article>
      } @empty {
        <p class="muted">{{ i18n.t('today.nobodyWaiting') }}</p>
      }
    </section>

    <section aria-labelledby="day-heading">
      <h2 id="day-heading">{{ i18n.dateTime(today, { dateStyle: 'full' }) }}</h2>
      <sz-status [loading]="day.loading()" [error]="day.error()" (retry)="day.reload()" />
      @if (!day.loading() && !day.error()) {
        <ul class="list">
          @for (c of room.consultations(); track c.id) {
            <li>
              <span class="time">{{ i18n.time(c.start) }}–{{ i18n.time(c.end) }}</span>
              <a [routerLink]="['/consultations', c.id]">{{ c.title }}</a>
              <span class="state state-{{ c.state }}">{{ i18n.state(c.state) }}</span>
              @if (c.state === 'live') { <a [routerLink]="['/consultations', c.id, 'call']">{{ i18n.t('today.openCall') }}</a> }
            </li>
          } @empty {
            <li class="muted">{{ i18n.t('today.empty') }}</li>
          }
        </ul>
      }
    </section>
  `
})
export class TodayPage {
  protected readonly i18n = inject(I18n)
  protected readonly room = inject(WaitingRoom)
  protected readonly knock = inject(Knock)
  private readonly router = inject(Router)
  protected readonly today = new Date()
  /** Today's consultations, into the waiting room's list; loaded once the room has started. */
  protected readonly day = loadable(() => this.room.load(this.today), false)
  protected readonly now = signal(Date.now())
  protected readonly notice = signal<Record<string, string>>({})
  private readonly titles = computed(() => new Map(this.room.consultations().map(c => [c.id, c.title])))

  constructor() {
    const ticker = setInterval(() => this.now.set(Date.now()), 15_000)
    inject(DestroyRef).onDestroy(() => {
      clearInterval(ticker)
      document.title = this.i18n.t('app.name')
    })
    effect(() => {
      const n = this.room.waiting().length
      document.title = n
        ? `(${n}) ${this.i18n.t('today.knock', { n })} – ${this.i18n.t('app.name')}`
        : `${this.i18n.t('today.title')} – ${this.i18n.t('app.name')}`
    })
    this.room.start()
    void this.day.reload()
  }

  protected chatOf(id: string): ChatLine[] {
    return this.room.chats()[id] ?? []
  }

  protected name(p: Waiting): string {
    return p.displayName ?? this.i18n.t('today.anonymous')
  }

  protected titleOf(consultationId: string): string {
    return this.titles().get(consultationId) ?? ''
  }

  protected waitedSince(p: Waiting): number {
    return new Date(p.waitingSince).getTime()
  }

  protected mute(event: Event): void {
    this.knock.setMuted((event.target as HTMLInputElement).checked)
  }

  protected chat(event: Event, p: Waiting): void {
    const { text } = formValues(event)
    if (text && this.room.chat(p, text)) (event.target as HTMLFormElement).reset()
  }

  protected late(event: Event, p: Waiting): void {
    const minutes = Number(formValues(event)['minutes'])
    if (minutes > 0 && this.room.late(p, minutes)) this.notice.update(all => ({ ...all, [p.id]: this.i18n.t('today.lateSent', { n: minutes }) }))
  }

  protected async admit(p: Waiting): Promise<void> {
    try {
      await this.room.admit(p)
      await this.router.navigate(['/consultations', p.consultationId, 'call'])
    } catch (err) {
      this.notice.update(all => ({ ...all, [p.id]: this.i18n.error(err) }))
    }
  }
}
