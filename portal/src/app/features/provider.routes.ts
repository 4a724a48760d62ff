import type { Routes } from '@angular/router'

/** Everything behind the login; each feature loads on first use. */
export const providerRoutes: Routes = [
  { path: 'today', loadChildren: () => import('./today/today.routes').then(m => m.todayRoutes) }
]
