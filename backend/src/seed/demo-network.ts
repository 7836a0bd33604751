/**
 * The demo network: who and what the quick start creates. Plain data with no
 * imports, so the e2e suite and docs can use the same logins.
 */
export const DEMO_PASSWORD = 'teleread-demo-2026';

export const DEMO_HOSPITALS = [
  { key: 'stmary', name: "St. Mary's Regional Hospital", jurisdiction: 'TX', timezone: 'America/Chicago', aeTitles: ['STMARY'], sla: [20, 60, 720] },
  { key: 'pacific', name: 'Pacific Coast Medical Center', jurisdiction: 'CA', timezone: 'America/Los_Angeles', aeTitles: ['PACIFIC'], sla: [30, 120, 1440] },
  { key: 'lakeside', name: 'Lakeside Community Clinic', jurisdiction: 'NY', timezone: 'America/New_York', aeTitles: ['LAKESIDE'], sla: [30, 180, 1440] },
] as const;

export type DemoHospitalKey = (typeof DEMO_HOSPITALS)[number]['key'];

export interface DemoUser {
  email: string;
  displayName: string;
  role: 'ADMIN' | 'RADIOLOGIST' | 'HOSPITAL_STAFF' | 'SPECIALIST';
  hospital?: DemoHospitalKey;
  subspecialties?: string[];
  /** Licensed jurisdictions and privileged hospitals (radiologists). */
  licenses?: string[];
  privileges?: DemoHospitalKey[];
  /** Where the web app lands after sign-in. */
  home: string;
}

export const DEMO_USERS: DemoUser[] = [
  { email: 'admin@teleread.demo', displayName: 'Alex Admin', role: 'ADMIN', home: '/admin' },
  {
    email: 'dr.neuro@teleread.demo',
    displayName: 'Dr. Nadia Okafor',
    role: 'RADIOLOGIST',
    subspecialties: ['NEURO', 'GENERAL'],
    licenses: ['TX', 'CA'],
    privileges: ['stmary', 'pacific'],
    home: '/worklist',
  },
  {
    email: 'dr.body@teleread.demo',
    displayName: 'Dr. Ben Hartmann',
    role: 'RADIOLOGIST',
    subspecialties: ['BODY', 'CHEST', 'CARDIAC', 'GENERAL'],
    licenses: ['TX', 'NY'],
    privileges: ['stmary', 'lakeside'],
    home: '/worklist',
  },
  {
    email: 'dr.msk@teleread.demo',
    displayName: 'Dr. Mei Lin',
    role: 'RADIOLOGIST',
    subspecialties: ['MSK', 'PEDIATRIC', 'BREAST', 'GENERAL'],
    licenses: ['CA', 'NY'],
    privileges: ['pacific', 'lakeside'],
    home: '/worklist',
  },
  { email: 'staff@stmary.demo', displayName: 'Sam Ortiz (St. Mary’s)', role: 'HOSPITAL_STAFF', hospital: 'stmary', home: '/portal' },
  { email: 'staff@pacific.demo', displayName: 'Priya Nair (Pacific Coast)', role: 'HOSPITAL_STAFF', hospital: 'pacific', home: '/portal' },
  { email: 'staff@lakeside.demo', displayName: 'Lee Walsh (Lakeside)', role: 'HOSPITAL_STAFF', hospital: 'lakeside', home: '/portal' },
  { email: 'neurosurgeon@teleread.demo', displayName: 'Dr. Sofia Reyes (Neurosurgery)', role: 'SPECIALIST', home: '/sessions' },
];
