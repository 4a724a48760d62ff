import type { Routes } from '@angular/router'

export const helpRoutes: Routes = [{ path: '', loadComponent: () => import('./pages/help.page').then(m => m.HelpPage) }]
