import type { Routes } from '@angular/router'

/** Everything behind the login; each feature loads on first use. */
export const providerRoutes: Routes = [
  { path: 'today', loadChildren: () => import('./today/today.routes').then(m => m.todayRoutes) },
  { path: 'calendar', loadChildren: () => import('./calendar/calendar.routes').then(m => m.calendarRoutes) },
  { path: 'consultations', loadChildren: () => import('./consultations/consultations.routes').then(m => m.consultationRoutes) },
  { path: 'tasks', loadChildren: () => import('./tasks/tasks.routes').then(m => m.tasksRoutes) },
  { path: 'profile', loadChildren: () => import('./profile/profile.routes').then(m => m.profileRoutes) },
  { path: 'practice', loadChildren: () => import('./practice/practice.routes').then(m => m.practiceRoutes) },
  { path: 'check-inbox', loadComponent: () => import('./auth/pages/check-inbox.page').then(m => m.CheckInboxPage) },
  { path: 'help', loadChildren: () => import('./help/help.routes').then(m => m.helpRoutes) }
]
