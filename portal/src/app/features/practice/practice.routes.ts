import type { Routes } from '@angular/router'

export const practiceRoutes: Routes = [{ path: '', loadComponent: () => import('./pages/practice.page').then(m => m.PracticePage) }]
