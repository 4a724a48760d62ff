import type { Routes } from '@angular/router'

export const calendarRoutes: Routes = [{ path: '', loadComponent: () => import('./pages/calendar.page').then(m => m.CalendarPage) }]
