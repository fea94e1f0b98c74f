// The shapes of organisations and members the demo data is made of. Each member archetype says how likely the
// member is to register for, and then attend, an event at a given age (days before "now").
export const DAY_MS = 86_400_000;

export interface OrgShape {
  kind: string;
  label: string;
  /** Days between events. */
  cadenceDays: number;
  /** No events in the last N days (a paused organisation); 0 when active. */
  pausedForDays: number;
}

export const ORG_SHAPES: OrgShape[] = [
  { kind: "weekly", label: "Running Club", cadenceDays: 7, pausedForDays: 0 },
  { kind: "monthly", label: "Professional Association", cadenceDays: 30, pausedForDays: 0 },
  { kind: "paused", label: "Chess Society", cadenceDays: 10, pausedForDays: 100 },
  { kind: "biweekly", label: "Book Circle", cadenceDays: 14, pausedForDays: 0 },
];

export interface MemberShape {
  kind: string;
  weight: number;
  /** Joined this many days ago (range). */
  joinedDaysAgo: [number, number];
  /** Probability of registering for an event `ageDays` ago (negative: upcoming). */
  register: (ageDays: number) => number;
  /** Probability of attending once registered. */
  attend: (ageDays: number) => number;
}

export const MEMBER_SHAPES: MemberShape[] = [
  { kind: "regular", weight: 25, joinedDaysAgo: [200, 1500], register: () => 0.85, attend: () => 0.92 },
  { kind: "occasional", weight: 25, joinedDaysAgo: [120, 1500], register: () => 0.4, attend: () => 0.8 },
  {
    kind: "fading",
    weight: 12,
    joinedDaysAgo: [250, 1500],
    register: (age) => (age > 90 ? 0.85 : age > 40 ? 0.25 : 0.08),
    attend: () => 0.85,
  },
  { kind: "no_show", weight: 10, joinedDaysAgo: [150, 1500], register: () => 0.7, attend: () => 0.35 },
  { kind: "lapsed", weight: 10, joinedDaysAgo: [300, 2000], register: (age) => (age > 100 ? 0.5 : 0), attend: () => 0.8 },
  { kind: "new_joiner", weight: 8, joinedDaysAgo: [1, 28], register: (age) => (age < 28 ? 0.6 : 0), attend: () => 0.8 },
  {
    kind: "upcoming_only",
    weight: 5,
    joinedDaysAgo: [100, 1000],
    register: (age) => (age < 0 ? 0.9 : age > 120 ? 0.3 : 0),
    attend: () => 0.7,
  },
  { kind: "never", weight: 5, joinedDaysAgo: [60, 900], register: () => 0, attend: () => 0 },
];

export function pickMemberShape(r: () => number): MemberShape {
  const total = MEMBER_SHAPES.reduce((sum, s) => sum + s.weight, 0);
  let x = r() * total;
  for (const shape of MEMBER_SHAPES) {
    x -= shape.weight;
    if (x < 0) return shape;
  }
  return MEMBER_SHAPES[0] as MemberShape;
}

export const FIRST_NAMES = [
  "Ada",
  "Ben",
  "Chloé",
  "Dmitri",
  "Elif",
  "Farah",
  "Gustav",
  "Hana",
  "Ivan",
  "Jonas",
  "Kemi",
  "Lucía",
  "Mateo",
  "Nia",
  "Olu",
  "Priya",
  "Quinn",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Yara",
  "Zoe",
];
export const LAST_NAMES = [
  "Adeyemi",
  "Berg",
  "Costa",
  "Dubois",
  "Evans",
  "Fischer",
  "García",
  "Hansen",
  "Ito",
  "Jovanović",
  "Kowalski",
  "Larsen",
  "Moreau",
  "Nakamura",
  "O'Brien",
  "Petrov",
  "Quispe",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Urquhart",
  "Varga",
  "Wójcik",
  "Yilmaz",
  "Zhang",
];
