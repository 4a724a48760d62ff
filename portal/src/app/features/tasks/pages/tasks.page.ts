import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core'
import { RouterLink } from '@angular/router'
import { Api } from '../../../core/api/api.service'
import type { Task } from '../../../core/api/models'
import { I18n } from '../../../core/i18n/i18n.service'
import { formValues } from '../../../shared/form'
import { loadable } from '../../../shared/loadable'
import { Status } from '../../../shared/status'

/** The provider's own to-do list. */
@Component({
  selector: 'sz-tasks-page',
  imports: [RouterLink, Status],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>{{ i18n.t('tasks.title') }}</h1>
    <form class="card" (submit)="add($event)" aria-labelledby="new-task">
      <h2 id="new-task">{{ i18n.t('tasks.new') }}</h2>
      <label>{{ i18n.t('tasks.taskTitle') }} <input name="title" required maxlength="200"></label>
      <label>{{ i18n.t('tasks.due') }} <input name="dueAt" type="datetime-local"></label>
      <button type="submit" [disabled]="busy()">{{ i18n.t('tasks.add') }}</button>
    </form>
    @if (error()) { <p role="alert" class="notice error">{{ error() }}</p> }
    <sz-status [loading]="tasks.loading()" [error]="tasks.error()" (retry)="tasks.reload()" />
    @if (tasks.value()) {
      @for (group of groups(); track group.title) {
        <h2>{{ group.title }}</h2>
        <ul class="list">
          @for (task of group.items; track task.id) {
            <li>
              <label class="inline"><input type="checkbox" [checked]="task.done"
                (change)="toggle(task)"> <span [class.muted]="task.done">{{ task.title }}</span></label>
              @if (task.dueAt) { <span class="muted">{{ i18n.t('tasks.dueAt', { date: i18n.dateTime(task.dueAt) }) }}</span> }
              @if (task.consultationId) { <a [routerLink]="['/consultations', task.consultationId]">{{ i18n.t('consultation.title') }}</a> }
              <button type="button" class="link" (click)="remove(task)"
                [attr.aria-label]="i18n.t('tasks.remove', { title: task.title })">{{ i18n.t('app.delete') }}</button>
            </li>
          } @empty { <li class="muted">{{ i18n.t('tasks.empty') }}</li> }
        </ul>
      }
    }
  `
})
export class TasksPage {
  protected readonly i18n = inject(I18n)
  private readonly api = inject(Api)
  protected readonly tasks = loadable(() => this.api.get<Task[]>('/api/tasks'))
  protected readonly busy = signal(false)
  protected readonly error = signal<string | null>(null)
  protected readonly groups = computed(() => {
    const all = this.tasks.value() ?? []
    return [
      { title: this.i18n.t('tasks.open'), items: all.filter(t => !t.done) },
      { title: this.i18n.t('tasks.done'), items: all.filter(t => t.done) }
    ]
  })

  protected add(event: Event): Promise<void> {
    const form = event.target as HTMLFormElement
    const { title = '', dueAt } = formValues(event)
    return this.run(async () => {
      await this.api.post('/api/tasks', { title, ...(dueAt ? { dueAt: new Date(dueAt).toISOString() } : {}) })
      form.reset()
    })
  }

  protected toggle(task: Task): Promise<void> {
    return this.run(() => this.api.patch(`/api/tasks/${task.id}`, { done: !task.done }))
  }

  protected remove(task: Task): Promise<void> {
    return this.run(() => this.api.delete(`/api/tasks/${task.id}`))
  }

  private async run(call: () => Promise<unknown>): Promise<void> {
    this.busy.set(true)
    this.error.set(null)
    try {
      await call()
      await this.tasks.reload()
    } catch (err) {
      this.error.set(this.i18n.error(err))
    } finally {
      this.busy.set(false)
    }
  }
}
