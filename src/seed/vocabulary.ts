// Word lists the generator draws from. Lists are ordered so that drawing with
// a skew (index = n * u^k) makes early entries common and late entries rare:
// that gives search terms that exist often ("Garcia", "meeting") and rarely
// ("Thornquist", "quarantine"), which the verification catalog relies on.

export const FIRST_NAMES = [
  "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
  "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
  "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
  "Andrew", "Emily", "Kenji", "Priya", "Olumide", "Ingrid", "Mateo", "Aisha", "Dmitri", "Sofia",
  "Tariq", "Yuki", "Niamh", "Lars", "Fatima", "Anouk", "Bartholomew", "Ximena", "Zebulon", "Ottoline",
] as const;

export const LAST_NAMES = [
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
  "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nakamura", "Okafor", "Lindqvist", "Kowalski",
  "Fitzgerald", "Castellanos", "Abernathy", "Vasquez", "Oyelaran", "Featherstone", "Quennell", "Zabriskie", "Thornquist", "Wolfenden",
] as const;

export const EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "acme.io", "example.org", "fastmail.com"] as const;

export const COMPANIES = [
  "Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Wayne Foods", "Hooli", "Vandelay Imports",
  "Soylent Labs", "Tyrell Energy", "Cyberdyne Retail", "Wonka Candy",
] as const;

export const TAGS = ["lead", "customer", "vip", "partner", "supplier", "churned", "prospect", "newsletter"] as const;

/** Message, note and task words, most common first. */
export const WORDS = [
  "the", "you", "to", "and", "a", "is", "for", "on", "can", "we", "thanks", "please", "call", "meeting", "tomorrow",
  "today", "order", "time", "confirm", "appointment", "payment", "invoice", "delivery", "update", "price", "quote",
  "schedule", "reminder", "available", "week", "morning", "afternoon", "office", "address", "account", "support",
  "ticket", "refund", "contract", "renewal", "proposal", "discount", "shipment", "tracking", "package", "project",
  "deadline", "review", "feedback", "document", "signature", "password", "install", "service", "warranty", "repair",
  "estimate", "budget", "urgent", "follow", "question", "approval", "calendar", "invite", "lunch", "dinner",
  "birthday", "holiday", "vacation", "travel", "flight", "hotel", "booking", "receipt", "balance", "transfer",
  "subscription", "upgrade", "downgrade", "cancel", "plumbing", "electrician", "landscaping", "mortgage", "insurance",
  "prescription", "veterinary", "orthodontist", "quarantine", "saxophone", "kaleidoscope", "xylophone", "zeppelin",
] as const;

/**
 * Rare words: about 1 row in 200 of each text column gets one of these, so each
 * word matches ~0.01% of rows — the "rare term" a search box sees.
 */
export const RARE_WORDS = [
  "aardvark", "bassoon", "cormorant", "dulcimer", "escarpment", "flamingo", "gazebo", "harpsichord", "iguana", "jacaranda",
  "kumquat", "labyrinth", "marzipan", "narwhal", "obsidian", "pangolin", "quokka", "rhubarb", "sassafras", "tamarind",
  "ukulele", "vermilion", "wombat", "yodeling", "zucchini", "albatross", "bergamot", "chinchilla", "dromedary", "edelweiss",
  "fennel", "gargoyle", "hibiscus", "ibex", "juniper", "kiwifruit", "lemming", "mongoose", "nutmeg", "ocelot",
  "papyrus", "quince", "rosemary", "salamander", "tapir", "umbrella", "vicuna", "walrus", "yarrow", "zeppelin",
] as const;

export const LOCATIONS = ["Office", "Zoom", "Client site", "Cafe Luna", "Phone", "Board room", "Warehouse", "Downtown HQ"] as const;

export const EVENT_TITLES = ["Sales call", "Onboarding", "Quarterly review", "Site visit", "Demo", "Lunch", "Support follow-up", "Contract signing", "Check-in", "Workshop"] as const;

export const WORKFLOW_NAMES = ["Auto-reply", "Missed call text-back", "Task reminder", "Welcome sequence", "Escalation", "Review request", "Birthday greeting", "Payment nudge"] as const;

/** A Postgres array literal expression for a word list, e.g. ARRAY['a','b']. */
export function sqlTextArray(words: readonly string[]): string {
  return `ARRAY[${words.map((w) => `'${w.replaceAll("'", "''")}'`).join(",")}]::text[]`;
}
