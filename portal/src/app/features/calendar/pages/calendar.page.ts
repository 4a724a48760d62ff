import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import type { Consultation } from '../../../core/api/models'
import { I18n } from '../../../core/i18n/i18n.service'
import { practiceZone } from '../../../core/practice-zone'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'
import { addDays, dayKey, mondayOf, zonedToUtc } from '../../../shared/time'
import { ScheduleForm } from '../components/schedule-form'

type View = 'day' | 'week' | 'list'

@Component({
  selector: 'sz-calendar-page',
  imports: [RouterLink, Status, ScheduleForm],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('calendar.title') }}</h1>
    <p class="muted">{{ i18n.t('calendar.timeZone', { zone: zone() }) }}</p>
    <div class="tabs" role="group" [attr.aria-label]="i18n.t('calendar.view')">
      <button type="button" [attr.aria-pressed]="view() === 'day'" (click)="view.set('day')">{{ i18n.t('calendar.day') }}</button>
      <button type="button" [attr.aria-pressed]="view() === 'week'" (click)="view.set('week')">{{ i18n.t('calendar.week') }}</button>
      <button type="button" [attr.aria-pressed]="view() === 'list'" (click)="view.set('list')">{{ i18n.t('calendar.list') }}</button>
      <button type="button" (click)="step(-1)">{{ i18n.t('calendar.previous') }}</button>
      <button type="button" (click)="anchor.set(todayKey())">{{ i18n.t('calendar.todayButton') }}</button>
      <button type="button" (click)="step(1)">{{ i18n.t('calendar.next') }}</button>
    </div>
    <h2>{{ heading() }}</h2>
    <sz-status [loading]="consultations.loading()" [error]="consultations.error()" (retry)="consultations.reload()" />
    @if (!consultations.loading() && !consultations.error()) {
      @if (view() === 'week') {
        <div class="week">
          @for (day of days(); track day.key) {
            <section [attr.aria-label]="day.label">
              <h3>{{ day.label }}</h3>
              <ul>
                @for (c of day.items; track c.id) {
                  <li><a [routerLink]="['/consultations', c.id]">{{ time(c.start) }} {{ c.title }}</a>
                  <span class="state state-{{ c.state }}">{{ i18n.state(c.state) }}</span></li>
                }
              </ul>
            </section>
          }
        </div>
      } @else {
        <ul class="list">
          @for (c of sorted(); track c.id) {
            <li>
              <span class="time">@if (view() === 'list') { {{ i18n.dateTime(c.start, { weekday: 'short', day: 'numeric', month: 'short' }, zone()) }} }
                {{ time(c.start) }}–{{ time(c.end) }}</span>
              <a [routerLink]="['/consultations', c.id]">{{ c.title }}</a>
              <span class="state state-{{ c.state }}">{{ i18n.state(c.state) }}</span>
            </li>
          } @empty {
            <li class="muted">{{ i18n.t('calendar.empty') }}</li>
          }
        </ul>
      }
    }
    <sz-schedule-form [timeZone]="zone()" (scheduled)="show($event)" />
  `
})
export class CalendarPage {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  protected readonly zone = practiceZone()
  protected readonly view = signal<View>('day')
  protected readonly anchor = signal(dayKey(new Date(), this.zone()))
  private readonly range = computed(() => {
    const view = this.view()
    const first = view === 'week' ? mondayOf(this.anchor()) : this.anchor()
    const days = view === 'day' ? 1 : view === 'week' ? 7 : 30
    return { first, days, from: zonedToUtc(first, '00:00', this.zone()), to: zonedToUtc(addDays(first, days), '00:00', this.zone()) }
  })
  protected readonly consultations = loadable(() => {
    const { from, to } = untracked(this.range)
    return this.api.get<Consultation[]>('/api/consultations', { from: from.toISOString(), to: to.toISOString() })
  }, false)
  protected readonly sorted = computed(() => [...(this.consultations.value() ?? [])].sort((a, b) => a.start.localeCompare(b.start)))
  protected readonly days = computed(() => {
    const { first } = this.range()
    return Array.from({ length: 7 }, (_, i) => {
      const key = addDays(first, i)
      return {
        key,
        label: this.i18n.dateTime(zonedToUtc(key, '12:00', this.zone()), { weekday: 'short', day: 'numeric', month: 'short' }, this.zone()),
        items: this.sorted().filter(c => dayKey(c.start, this.zone()) === key)
      }
    })
  })
  protected readonly heading = computed(() => {
    const { first, days } = this.range()
    const fmt = (key: string) => this.i18n.dateTime(zonedToUtc(key, '12:00', this.zone()), { dateStyle: days === 1 ? 'full' : 'medium' }, this.zone())
    return days === 1 ? fmt(first) : `${fmt(first)} – ${fmt(addDays(first, days - 1))}`
  })

  constructor() {
    effect(() => {
      this.range()
      void this.consultations.reload()
    })
  }

  protected show(day: string): void {
    if (this.anchor() === day) void this.consultations.reload()
    else this.anchor.set(day)
  }

  protected todayKey(): string {
    return dayKey(new Date(), this.zone())
  }

  protected step(direction: 1 | -1): void {
    const { days } = this.range()
    this.anchor.update(key => addDays(key, direction * days))
  }

  protected time(iso: string): string {
    return this.i18n.time(iso, this.zone())
  }
}
