import { ChangeDetectionStrategy, Component, inject, input, output } from '@angular/core'
import { I18n } from '../core/i18n/i18n.service'

/** The loading line or the translated error with a retry button; nothing when all is well. */
@Component({
  selector: 'sz-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (loading()) {
      <p role="status" class="muted">{{ i18n.t('app.loading') }}</p>
    } @else if (error()) {
      <div role="alert" class="notice error">
        <p>{{ i18n.error(error()) }}</p>
        @if (retryable()) { <button type="button" (click)="retry.emit()">{{ i18n.t('app.retry') }}</button> }
      </div>
    }
  `
})
export class Status {
  protected readonly i18n = inject(I18n)
  readonly loading = input(false)
  readonly error = input<unknown>(null)
  readonly retryable = input(true)
  readonly retry = output<void>()
}
