import type { Routes } from '@angular/router'

export const todayRoutes: Routes = [{ path: '', loadComponent: () => import('./pages/today.page').then(m => m.TodayPage) }]
