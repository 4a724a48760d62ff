import type { Config } from '../config.js'
import type { DeclaredDeletion } from '../plugins/contract.js'

export type Locale = 'de' | 'en'

/** Core's categories of the deletion table; plugins declare theirs (`app.declareDeletion`). */
export const DELETION_CATEGORIES = [
  'access-ip',
  'session',
  'provider-account',
  'practice',
  'client-account',
  'email-verification',
  'sign-in-failures',
  'invitation',
  'waiting-room-name',
  'chat',
  'documents',
  'call-data',
  'profile-picture',
  'security-events'
] as const
export type DeletionCategory = (typeof DELETION_CATEGORIES)[number]

export interface DeletionRow {
  /** One of DELETION_CATEGORIES, or a plugin's. */
  category: string
  /** What is kept, in the reader's language. */
  data: string
  /** Until when, in the reader's language, with the configured durations. */
  keptUntil: string
  /** The same deadline in English, for the privacy report and the CLI. */
  deadline: string
}

const INTL: Record<Locale, string> = { de: 'de-DE', en: 'en-GB' }

/** "1 Stunde", "90 minutes", "500 Millisekunden": a configured duration in its largest whole unit. */
export function formatDuration(ms: number, locale: Locale): string {
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
    ['millisecond', 1]
  ]
  const [unit, size] = units.find(([, size]) => ms >= size && ms % size === 0) ?? ['millisecond', 1]
  return new Intl.NumberFormat(INTL[locale], { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 }).format(Math.round(ms / size))
}

type Durations = Pick<Config, 'ipAnonymizeAfter' | 'purgeAfter' | 'sessionTtl' | 'emailVerificationTtl' | 'emailChangeUndo' | 'auditKeep'>

/**
 * The deletion table of the privacy policy, built from the configured deadlines: the legal page, the
 * README and the privacy report all show what the code enforces, never a number typed twice.
 */
export function deletionTable(config: Durations, locale: Locale, declared: readonly DeclaredDeletion[] = []): DeletionRow[] {
  const d = (ms: number) => formatDuration(ms, locale)
  const e = (ms: number) => formatDuration(ms, 'en')
  const de = locale === 'de'
  const row = (category: DeletionCategory, data: [string, string], keptUntil: [string, string], deadline: string): DeletionRow => ({
    category,
    data: de ? data[0] : data[1],
    keptUntil: de ? keptUntil[0] : keptUntil[1],
    deadline
  })
  // Invitations and call data both go when the consultation is purged (lifecycle/deadlines.ts): one deadline.
  const purged: [[string, string], string] = [
    [`${d(config.purgeAfter)} nach Ende oder Absage der Sprechstunde`, `${d(config.purgeAfter)} after the consultation ended or was cancelled`],
    `${e(config.purgeAfter)} after the end or cancellation`
  ]
  return [
    row(
      'access-ip',
      [
        'Zugriffsprotokoll bei Registrierung, Anmeldung und Betreten des Wartezimmers (Zeit, Art, Browserkennung, IP-Adresse)',
        'Access record of registrations, sign-ins and waiting-room entries (time, kind, user agent, IP address)'
      ],
      [
        `IP-Adresse nach ${d(config.ipAnonymizeAfter)} auf die ersten zwei Oktette gekürzt (IPv6: /32)`,
        `IP address cut to its first two octets (IPv6: /32) after ${d(config.ipAnonymizeAfter)}`
      ],
      `IP cut to /16 (IPv6 /32) after ${e(config.ipAnonymizeAfter)}`
    ),
    row(
      'session',
      [
        'Sitzungs-Cookie APPSESSION (Anbieter) und SZ_PARTICIPANT (Wartezimmer), serverseitige Sitzung',
        'Session cookie APPSESSION (providers) and SZ_PARTICIPANT (waiting room), server session'
      ],
      [
        `Ende der Browsersitzung bzw. der Sprechstunde; serverseitig bei Abmeldung, spätestens nach ${d(config.sessionTtl)}`,
        `end of the browser session or of the consultation; on the server at logout, after ${d(config.sessionTtl)} at the latest`
      ],
      `logout, or ${e(config.sessionTtl)}`
    ),
    row(
      'provider-account',
      ['Konto eines Anbieters (Anrede, Titel, Name, E-Mail, Passwort-Hash)', "A provider's account (salutation, title, names, e-mail, password hash)"],
      ['Löschung des Kontos', 'account deletion'],
      'account deletion'
    ),
    row(
      'practice',
      ['Praxisdaten (Name, Art, Anschrift, Kontaktperson, Bankverbindung)', 'Practice data (name, type, address, contact person, bank details)'],
      [
        'Löschung des Kontos des letzten Anbieters der Praxis (Bankverbindung sofort)',
        "deletion of the practice's last provider account (bank details at once)"
      ],
      "last provider's account deletion"
    ),
    row(
      'client-account',
      [
        'Freiwilliges Konto eines Klienten (Anrede, Titel, Name, E-Mail, Passwort-Hash)',
        "A client's voluntary account (salutation, title, names, e-mail, password hash)"
      ],
      ['Löschung des Kontos', 'account deletion'],
      'account deletion'
    ),
    row(
      'email-verification',
      [
        'Link zur Bestätigung einer E-Mail-Adresse oder zum Rückgängigmachen einer Adressänderung (Adresse, Hash des Links)',
        'Link that confirms an e-mail address or takes an address change back (the address, hash of the link)'
      ],
      [
        `Bestätigungslink nach ${d(config.emailVerificationTtl)}, Link zum Rückgängigmachen (mit der alten Adresse) nach ${d(config.emailChangeUndo)}`,
        `confirmation link after ${d(config.emailVerificationTtl)}, undo link (with the old address) after ${d(config.emailChangeUndo)}`
      ],
      `${e(config.emailVerificationTtl)}; undo link ${e(config.emailChangeUndo)}`
    ),
    row(
      'sign-in-failures',
      ['Fehlgeschlagene Anmeldeversuche je Adresse (Hash der Adresse, Anzahl, Zeitpunkte)', 'Failed sign-ins per address (hash of the address, count, times)'],
      [
        'einen Tag nach dem letzten Fehlversuch, oder bei der nächsten erfolgreichen Anmeldung',
        'one day after the last failure, or at the next successful sign-in'
      ],
      '1 day after the last failure'
    ),
    row(
      'invitation',
      ['Einladung (E-Mail-Adresse des Klienten, Hash des Zugangslinks)', "Invitation (client's e-mail address, hash of the join link)"],
      ...purged
    ),
    row(
      'waiting-room-name',
      ['Im Wartezimmer angegebener Name', 'Name given in the waiting room'],
      ['Ende oder Absage der Sprechstunde', 'end or cancellation of the consultation'],
      'consultation ended'
    ),
    row(
      'chat',
      ['Chat-Nachrichten', 'Chat messages'],
      ['werden nie gespeichert, nur zwischen den Browsern weitergereicht', 'never stored, only passed between the browsers'],
      'never stored'
    ),
    row(
      'documents',
      ['In der Sprechstunde ausgetauschte Dokumente, Bild und Ton', 'Documents, video and audio exchanged in a call'],
      ['werden nie auf dem Server gespeichert und nie aufgezeichnet', 'never stored on the server, never recorded'],
      'never stored'
    ),
    row(
      'call-data',
      [
        'Technische Daten der Sprechstunde (Raumkennungen, Teilnehmerstatus, Verbindungsdaten)',
        'Technical data of a call (room ids, participant status, connection data)'
      ],
      ...purged
    ),
    row(
      'profile-picture',
      ['Profilbild eines Anbieters (mit Zeitpunkt der Einwilligung)', "A provider's profile picture (with the time of consent)"],
      ['Widerruf der Einwilligung oder Löschung des Kontos', 'consent revoked or account deleted'],
      'consent revoked or account deleted'
    ),
    row(
      'security-events',
      [
        'Sicherheitsprotokoll: Anmeldungen, Abmeldungen, Passwort- und Adressänderungen, API-Schlüssel, Rollen ' +
          '(Kontokennung, Zeit, auf zwei Oktette gekürzte IP-Adresse, Ereigniscode)',
        'Security audit trail: sign-ins, sign-outs, password and address changes, API keys, roles (account id, time, IP address cut to two octets, event code)'
      ],
      [`${d(config.auditKeep)} nach dem Ereignis`, `${d(config.auditKeep)} after the event`],
      `${e(config.auditKeep)} after the event`
    ),
    ...declared.map(p => ({ category: p.category, data: p.data[locale], keptUntil: p.keptUntil[locale], deadline: p.deadline }))
  ]
}
