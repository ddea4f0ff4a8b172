// The demo world: two families, a school with one class of 30 pupils, their parents, some
// conversations, invitations in every state, a little feedback. Invented people and places
// only. Every id comes from a stable name and every timestamp from a reference date, so
// seeding twice writes nothing the second time.
import { createHash } from 'node:crypto';
import type {
  ChatSession,
  Collective,
  CollectiveMembership,
  Conversation,
  Feedback,
  IdpLogin,
  Invitation,
  ParentalAuthorizationRequest,
  ParentalConsent,
  PrismaClient,
  User,
  UserConsent,
} from '../generated/prisma/client.ts';
import { demoId, sha256Hex } from './ids.ts';
import { planRows, runWrites, type PendingWrite, type TableCount } from './sync.ts';

/** Every stored timestamp is this date plus an offset (the first day of the 2026 school year). */
export const DEMO_REFERENCE_DATE = new Date('2026-09-01T08:00:00.000Z');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEMO_SCHOOL_NAME = 'Collège des Tilleuls';
export const DEMO_CLASS_NAME = '5e B';
export const DEMO_PARENT_CONTACT = 'parent.exemple@example.org';

type AgeClass = NonNullable<User['ageClass']>;
const ageClassOf = (age: number): AgeClass => (age >= 13 ? 'TEENAGER' : 'PRETEEN');

// ---------------------------------------------------------------- people

interface Person {
  loginId: string;
  firstName: string;
  userType: User['userType'];
  ageClass: AgeClass;
  age?: number;
  language: string;
  country: string;
  school: string | null;
  /** Account creation, in days from the reference date. */
  joinedDay: number;
  description: string;
}

interface Student {
  n: number;
  firstName: string;
  age: number;
  language: string;
}

/** The 30 pupils of 5e B; every third one (03, 06, …, 30) still waits for a parent's consent. */
const STUDENTS: Student[] = (
  [
    ['Inès', 12, 'fr'], ['Lucas', 12, 'fr'], ['Chloé', 12, 'fr'], ['Nathan', 13, 'fr'], ['João', 12, 'pt'],
    ['Manon', 12, 'fr'], ['Théo', 13, 'fr'], ['Jade', 12, 'fr'], ['Louis', 11, 'fr'], ['Sofía', 12, 'es'],
    ['Camille', 12, 'fr'], ['Enzo', 13, 'fr'], ['Lina', 12, 'fr'], ['Gabriel', 12, 'fr'], ['Zoé', 11, 'fr'],
    ['Oliver', 12, 'en'], ['Adam', 13, 'fr'], ['Louise', 12, 'fr'], ['Rayan', 12, 'fr'], ['Emma', 12, 'fr'],
    ['Noah', 13, 'fr'], ['Giulia', 12, 'it'], ['Mathis', 12, 'fr'], ['Lou', 12, 'fr'], ['Lukas', 13, 'de'],
    ['Alice', 12, 'fr'], ['Sacha', 11, 'fr'], ['Maël', 12, 'fr'], ['Anaïs', 13, 'fr'], ['Yanis', 12, 'fr'],
  ] as const
).map(([firstName, age, language], i) => ({ n: i + 1, firstName, age, language }));

const pad2 = (n: number) => String(n).padStart(2, '0');
const studentLogin = (n: number) => `demo-student-${pad2(n)}`;
const studentParentLogin = (n: number) => `demo-parent-of-student-${pad2(n)}`;
const consentPending = (s: Student) => s.n % 3 === 0;

const LOGINS = {
  parentMoreau: 'demo-parent-moreau',
  leaMoreau: 'demo-lea-moreau',
  hugoMoreau: 'demo-hugo-moreau',
  parentNavarro: 'demo-parent-navarro',
  luciaNavarro: 'demo-lucia-navarro',
  principal: 'demo-principal-tilleuls',
  teacher: 'demo-teacher-5eb',
} as const;

function people(): Person[] {
  const adult = (p: Omit<Person, 'userType' | 'ageClass'>): Person => ({ ...p, userType: 'PARENT', ageClass: 'ADULT' });
  const teen = (p: Omit<Person, 'userType' | 'ageClass'> & { age: number }): Person => ({
    ...p,
    userType: 'TEENAGER',
    ageClass: ageClassOf(p.age),
  });
  const list: Person[] = [
    adult({
      loginId: LOGINS.parentMoreau, firstName: 'Claire', language: 'fr', country: 'FR', school: null, joinedDay: -21,
      description: 'Claire Moreau, parent and OWNER of "Famille Moreau" (fr); consented for Léa and Hugo',
    }),
    teen({
      loginId: LOGINS.leaMoreau, firstName: 'Léa', age: 13, language: 'fr', country: 'FR', school: null, joinedDay: -20,
      description: 'Léa Moreau, 13 (TEENAGER), member of "Famille Moreau", parental consent granted, 3 conversations',
    }),
    teen({
      loginId: LOGINS.hugoMoreau, firstName: 'Hugo', age: 10, language: 'fr', country: 'FR', school: null, joinedDay: -18,
      description: 'Hugo Moreau, 10 (PRETEEN), joined "Famille Moreau" through an invitation, parental consent granted',
    }),
    adult({
      loginId: LOGINS.parentNavarro, firstName: 'Carmen', language: 'es', country: 'ES', school: null, joinedDay: -15,
      description: 'Carmen Navarro, parent and OWNER of "Familia Navarro" (es, Spain)',
    }),
    teen({
      loginId: LOGINS.luciaNavarro, firstName: 'Lucía', age: 11, language: 'es', country: 'ES', school: null, joinedDay: -14,
      description: 'Lucía Navarro, 11 (PRETEEN, es), member of "Familia Navarro", parental consent granted',
    }),
    adult({
      loginId: LOGINS.principal, firstName: 'Nathalie', language: 'fr', country: 'FR', school: DEMO_SCHOOL_NAME, joinedDay: -30,
      description: `Principal of "${DEMO_SCHOOL_NAME}": OWNER of the school and of class ${DEMO_CLASS_NAME}`,
    }),
    adult({
      loginId: LOGINS.teacher, firstName: 'Julien', language: 'fr', country: 'FR', school: DEMO_SCHOOL_NAME, joinedDay: -10,
      description: `Form teacher of ${DEMO_CLASS_NAME}: ADMIN of the class and of the school`,
    }),
  ];
  for (const s of STUDENTS) {
    list.push(
      teen({
        loginId: studentLogin(s.n), firstName: s.firstName, age: s.age, language: s.language, country: 'FR',
        school: DEMO_SCHOOL_NAME, joinedDay: 1 + (s.n % 5),
        description:
          `${s.firstName}, ${s.age} (${ageClassOf(s.age)}, ${s.language}), pupil of ${DEMO_CLASS_NAME}, ` +
          (consentPending(s) ? 'consent pending (no parental consent yet)' : 'parental consent granted'),
      }),
    );
  }
  for (const s of STUDENTS.filter((s) => !consentPending(s))) {
    list.push(
      adult({
        loginId: studentParentLogin(s.n), firstName: '', language: s.language, country: 'FR', school: null,
        joinedDay: 2 + (s.n % 5),
        description: `Parent of ${studentLogin(s.n)} (${s.firstName}, ${DEMO_CLASS_NAME}); gave parental consent`,
      }),
    );
  }
  return list;
}

const PEOPLE = people();
const userId = (loginId: string) => demoId(`user:${loginId}`);

/** Ids of the notable demo rows, for tests, documentation and the knowledge-base step. */
export const demoIds = {
  parentMoreau: userId(LOGINS.parentMoreau),
  leaMoreau: userId(LOGINS.leaMoreau),
  hugoMoreau: userId(LOGINS.hugoMoreau),
  parentNavarro: userId(LOGINS.parentNavarro),
  luciaNavarro: userId(LOGINS.luciaNavarro),
  principal: userId(LOGINS.principal),
  teacher: userId(LOGINS.teacher),
  student: (n: number) => userId(studentLogin(n)),
  familyMoreau: demoId('collective:famille-moreau'),
  familyNavarro: demoId('collective:familia-navarro'),
  school: demoId('collective:college-des-tilleuls'),
  class5eB: demoId('collective:college-des-tilleuls/5e-b'),
} as const;

export interface DemoLogin {
  idp: 'MOCK_IDP';
  loginId: string;
  userId: string;
  userType: User['userType'];
  language: string;
  description: string;
}

/** Every demo account: sign in with (MOCK_IDP, loginId). */
export const demoLogins: readonly DemoLogin[] = PEOPLE.map((p) => ({
  idp: 'MOCK_IDP',
  loginId: p.loginId,
  userId: userId(p.loginId),
  userType: p.userType,
  language: p.language,
  description: p.description,
}));

// ---------------------------------------------------------------- invitations

export const DEMO_INVITATION_NAMES = [
  'famille-moreau-coparent',
  'familia-navarro-adolescente',
  'classe-5eb-eleves',
  'famille-moreau-hugo',
  'classe-5eb-expiree',
  'classe-5eb-revoquee',
] as const;
export type DemoInvitationName = (typeof DEMO_INVITATION_NAMES)[number];

/** A demo invitation's token: base64url(sha256('demo-invitation:' + name)); only its sha256 hex is stored. */
export const demoInvitationToken = (name: string) =>
  createHash('sha256').update(`demo-invitation:${name}`, 'utf8').digest('base64url');

/** The clear-text tokens of the demo invitations (whatever their status), by invitation name. */
export const demoInvitationTokens: Readonly<Record<DemoInvitationName, string>> = Object.freeze(
  Object.fromEntries(DEMO_INVITATION_NAMES.map((name) => [name, demoInvitationToken(name)])) as Record<
    DemoInvitationName,
    string
  >,
);

// ---------------------------------------------------------------- conversations

interface Topic {
  type: Conversation['conversationType'];
  title: string;
  summary: string;
}

const TOPICS: Record<string, Topic[]> = {
  fr: [
    {
      type: 'INCIDENT',
      title: 'Des moqueries dans le groupe WhatsApp de la classe',
      summary:
        'Des camarades publient des moqueries dans le groupe WhatsApp de la classe. Ça fait de la peine et ça prend beaucoup de place le soir. ' +
        'Nous avons cherché ensemble un adulte de confiance à qui en parler et comment garder des captures d’écran.',
    },
    {
      type: 'GENERAL',
      title: 'Stress avant la rentrée',
      summary:
        'Un peu d’inquiétude à l’idée de changer de classe et de ne connaître personne. Nous avons parlé de petites choses qui rassurent : ' +
        'préparer son sac la veille, repérer un visage sympa, se rappeler que tout le monde est un peu stressé.',
    },
    {
      type: 'INCIDENT',
      title: 'Une rumeur qui circule sur moi',
      summary:
        'Une rumeur fausse circule dans la cour depuis quelques jours. Le sentiment d’injustice est fort. ' +
        'Nous avons réfléchi à ne pas répondre sous le coup de la colère et à en parler au CPE.',
    },
    {
      type: 'INCIDENT',
      title: 'Des surnoms à cause de mes lunettes',
      summary:
        'Des surnoms blessants reviennent à cause des nouvelles lunettes. Nous avons cherché des phrases courtes et calmes pour répondre, ' +
        'et rappelé que ce n’est jamais la faute de la personne visée.',
    },
    {
      type: 'GENERAL',
      title: 'Dispute avec mon groupe d’amis',
      summary:
        'Une dispute dans le groupe d’amis après un malentendu. Nous avons parlé de la façon de dire ce qu’on ressent sans accuser, ' +
        'et de laisser un peu de temps avant de se reparler.',
    },
    {
      type: 'INCIDENT',
      title: 'Un inconnu m’écrit dans un jeu en ligne',
      summary:
        'Un joueur inconnu pose des questions personnelles dans le chat d’un jeu. Nous avons vu comment le bloquer, le signaler ' +
        'et pourquoi il vaut mieux prévenir un parent.',
    },
    {
      type: 'GENERAL',
      title: 'Me faire de nouveaux amis au collège',
      summary:
        'Envie de se faire de nouveaux amis cette année. Nous avons listé quelques idées : un club à midi, proposer de jouer, ' +
        'poser des questions sur les passions des autres.',
    },
    {
      type: 'INCIDENT',
      title: 'Personne ne veut se mettre avec moi en sport',
      summary:
        'En EPS, personne ne choisit la même personne pour les équipes et ça se répète. Nous avons parlé d’en toucher un mot ' +
        'au professeur et de ce qui aide à se sentir moins seul·e.',
    },
    {
      type: 'GENERAL',
      title: 'Le téléphone le soir dans ma chambre',
      summary:
        'Des notifications tard le soir empêchent de dormir. Nous avons parlé du mode silencieux, de laisser le téléphone ' +
        'hors de la chambre et de ce qu’on peut répondre aux copains le lendemain.',
    },
    {
      type: 'INCIDENT',
      title: 'Une photo de moi partagée sans mon accord',
      summary:
        'Une photo a été partagée sans accord dans une story. Nous avons vu comment demander le retrait, signaler la publication ' +
        'et à quel adulte en parler rapidement.',
    },
    {
      type: 'GENERAL',
      title: 'J’ai vu un camarade se faire embêter',
      summary:
        'Témoin de moqueries envers un camarade à la cantine. Nous avons parlé de ce qu’un témoin peut faire sans se mettre en danger : ' +
        'rester à côté de la personne, prévenir un adulte.',
    },
    {
      type: 'INCIDENT',
      title: 'On se moque de mon accent',
      summary:
        'Des imitations moqueuses de l’accent en classe. Nous avons rappelé que parler plusieurs langues est une force ' +
        'et cherché comment en parler au professeur principal.',
    },
  ],
  es: [
    {
      type: 'INCIDENT',
      title: 'Se ríen de mí en el recreo',
      summary:
        'Algunos compañeros se ríen en el recreo y eso duele. Hemos pensado juntos en un adulto de confianza con quien hablar.',
    },
    {
      type: 'GENERAL',
      title: 'Nervios por el examen de francés',
      summary: 'Nervios antes de un examen. Hablamos de respirar despacio y de preparar el material la víspera.',
    },
    {
      type: 'INCIDENT',
      title: 'Un mensaje feo en el chat del juego',
      summary: 'Un mensaje ofensivo en el chat de un juego en línea. Vimos cómo bloquear, denunciar y contárselo a un adulto.',
    },
  ],
  en: [
    {
      type: 'INCIDENT',
      title: 'Mean comments in the class group chat',
      summary: 'Some classmates post mean comments in the group chat. We talked about saving screenshots and telling a trusted adult.',
    },
    {
      type: 'GENERAL',
      title: 'Nervous about speaking French in class',
      summary: 'Worried about making mistakes when speaking French in class. We talked about how everyone learns step by step.',
    },
    {
      type: 'INCIDENT',
      title: 'Left out at lunch break',
      summary: 'Being left out at lunch for several days. We looked for small ways to join in and an adult who could help.',
    },
  ],
  pt: [
    {
      type: 'INCIDENT',
      title: 'Gozam com o meu sotaque',
      summary: 'Colegas imitam o sotaque para fazer troça. Lembrámos que falar duas línguas é uma força e procurámos um adulto de confiança.',
    },
    {
      type: 'GENERAL',
      title: 'Saudades dos amigos de Portugal',
      summary: 'Saudades dos amigos que ficaram em Portugal. Falámos de manter o contacto e de fazer novos amigos aos poucos.',
    },
    {
      type: 'INCIDENT',
      title: 'Ninguém me escolhe para a equipa',
      summary: 'Na educação física ninguém escolhe esta pessoa para a equipa. Falámos de contar ao professor.',
    },
  ],
  it: [
    {
      type: 'INCIDENT',
      title: 'Prese in giro nella chat di classe',
      summary: 'Prese in giro nella chat della classe. Abbiamo parlato di salvare i messaggi e di chiedere aiuto a un adulto.',
    },
    {
      type: 'GENERAL',
      title: 'Ansia per il nuovo anno scolastico',
      summary: 'Un po’ di ansia per il nuovo anno. Abbiamo cercato piccole cose che aiutano a sentirsi più tranquilli.',
    },
    {
      type: 'INCIDENT',
      title: 'Una foto condivisa senza permesso',
      summary: 'Una foto condivisa senza permesso. Abbiamo visto come chiederne la rimozione e segnalarla.',
    },
  ],
  de: [
    {
      type: 'INCIDENT',
      title: 'Gemeine Kommentare im Klassenchat',
      summary: 'Gemeine Kommentare im Klassenchat. Wir haben besprochen, Screenshots zu machen und einer Vertrauensperson Bescheid zu sagen.',
    },
    {
      type: 'GENERAL',
      title: 'Neu in der Klasse',
      summary: 'Neu in der Klasse und noch ohne Freunde. Wir haben Ideen gesammelt, wie man ins Gespräch kommt.',
    },
    {
      type: 'INCIDENT',
      title: 'Jemand nimmt mir in der Pause die Sachen weg',
      summary: 'In der Pause werden immer wieder Sachen weggenommen. Wir haben überlegt, welchem Erwachsenen man das sagen kann.',
    },
  ],
};

const MONSTERS = ['betty', 'groo', 'nougat', null] as const;

/** How many conversations each teenager has (family teens fixed; pupils 0-3, none while consent is pending). */
function conversationCount(p: Person, index: number): number {
  if (p.loginId === LOGINS.leaMoreau) return 3;
  if (p.loginId === LOGINS.hugoMoreau) return 2;
  if (p.loginId === LOGINS.luciaNavarro) return 2;
  const student = STUDENTS[index];
  if (!student || consentPending(student)) return 0;
  return (student.n * 7 + 3) % 4;
}

// ---------------------------------------------------------------- the world as rows

export interface DemoWorld {
  users: User[];
  idpLogins: IdpLogin[];
  collectives: Collective[];
  memberships: CollectiveMembership[];
  userConsents: UserConsent[];
  parentalConsents: ParentalConsent[];
  conversations: Conversation[];
  chatSessions: ChatSession[];
  invitations: Invitation[];
  feedback: Feedback[];
  authorizationRequests: ParentalAuthorizationRequest[];
}

/** A documentation address (RFC 5737), never a real client's. */
const demoIp = (i: number) => `198.51.100.${(i % 250) + 1}`;

export function buildDemoWorld(reference: Date = DEMO_REFERENCE_DATE): DemoWorld {
  const base = reference.getTime();
  const at = (days: number, hours = 0, minutes = 0) => new Date(base + days * DAY + hours * HOUR + minutes * MINUTE);
  const byLogin = new Map(PEOPLE.map((p) => [p.loginId, p]));
  const joined = (loginId: string) => at(byLogin.get(loginId)!.joinedDay, 1);

  // Conversations first: a teenager's lastSeenAt is the end of their latest conversation.
  const conversations: Conversation[] = [];
  const chatSessions: ChatSession[] = [];
  const lastSeen = new Map<string, Date>();
  const teens = PEOPLE.filter((p) => p.userType === 'TEENAGER');
  teens.forEach((p, t) => {
    const studentIndex = STUDENTS.findIndex((s) => studentLogin(s.n) === p.loginId);
    const count = conversationCount(p, studentIndex);
    const topics = TOPICS[p.language] ?? TOPICS.fr;
    for (let j = 0; j < count; j++) {
      const topic = topics[(t * 3 + j * 5) % topics.length];
      const id = demoId(`conversation:${p.loginId}:${j + 1}`);
      // After school: 15:00-17:59 UTC (17:00-19:59 in Paris during the autumn term).
      const start = at(7 + ((t * 11 + j * 17) % 60), 7 + ((t + j) % 3), (t * 7 + j * 13) % 60);
      const sessionCount = 1 + ((t + 2 * j) % 3);
      let last = start;
      for (let k = 0; k < sessionCount; k++) {
        const createdAt = k === 0 ? start : new Date(last.getTime() + (1 + ((t + k) % 3)) * DAY + (((j + k) % 3) - 1) * HOUR);
        chatSessions.push({ id: demoId(`chat-session:${p.loginId}:${j + 1}:${k + 1}`), conversationId: id, createdAt });
        last = createdAt;
      }
      const updatedAt = new Date(last.getTime() + (12 + ((t + j) % 20)) * MINUTE);
      conversations.push({
        id,
        userId: userId(p.loginId),
        title: topic.title,
        conversationType: topic.type,
        summary: topic.summary,
        currentMonster: MONSTERS[(t + j) % MONSTERS.length],
        createdAt: start,
        updatedAt,
      });
      if (updatedAt > (lastSeen.get(p.loginId) ?? new Date(0))) lastSeen.set(p.loginId, updatedAt);
    }
  });

  const users: User[] = PEOPLE.map((p) => ({
    id: userId(p.loginId),
    userType: p.userType,
    language: p.language,
    ageClass: p.ageClass,
    country: p.country,
    school: p.school,
    createdAt: joined(p.loginId),
    updatedAt: joined(p.loginId),
    lastSeenAt: lastSeen.get(p.loginId) ?? null,
  }));

  const idpLogins: IdpLogin[] = PEOPLE.map((p) => ({
    idp: 'MOCK_IDP',
    loginId: p.loginId,
    userId: userId(p.loginId),
    createdAt: joined(p.loginId),
  }));

  const collectives: Collective[] = [
    { id: demoIds.familyMoreau, name: 'Famille Moreau', type: 'FAMILY', parentId: null, parentalConsentGranted: true, createdAt: at(-21, 2) },
    { id: demoIds.familyNavarro, name: 'Familia Navarro', type: 'FAMILY', parentId: null, parentalConsentGranted: true, createdAt: at(-15, 2) },
    { id: demoIds.school, name: DEMO_SCHOOL_NAME, type: 'SCHOOL', parentId: null, parentalConsentGranted: false, createdAt: at(-30, 2) },
    { id: demoIds.class5eB, name: DEMO_CLASS_NAME, type: 'CLASS', parentId: demoIds.school, parentalConsentGranted: false, createdAt: at(-10, 3) },
  ];

  const memberships: CollectiveMembership[] = [];
  const member = (loginId: string, collectiveId: string, role: CollectiveMembership['role'], createdAt: Date) =>
    memberships.push({ id: demoId(`membership:${collectiveId}:${loginId}`), userId: userId(loginId), collectiveId, role, createdAt });
  member(LOGINS.parentMoreau, demoIds.familyMoreau, 'OWNER', at(-21, 2));
  member(LOGINS.leaMoreau, demoIds.familyMoreau, 'MEMBER', at(-20, 2));
  member(LOGINS.hugoMoreau, demoIds.familyMoreau, 'MEMBER', at(-18, 2));
  member(LOGINS.parentNavarro, demoIds.familyNavarro, 'OWNER', at(-15, 2));
  member(LOGINS.luciaNavarro, demoIds.familyNavarro, 'MEMBER', at(-14, 2));
  member(LOGINS.principal, demoIds.school, 'OWNER', at(-30, 2));
  member(LOGINS.teacher, demoIds.school, 'ADMIN', at(-10, 2));
  member(LOGINS.principal, demoIds.class5eB, 'OWNER', at(-10, 3));
  member(LOGINS.teacher, demoIds.class5eB, 'ADMIN', at(-10, 3));
  for (const s of STUDENTS) member(studentLogin(s.n), demoIds.class5eB, 'MEMBER', at(1 + (s.n % 5), 2));

  // Every user accepted the terms when signing up; parents consented for their children.
  const userConsents: UserConsent[] = PEOPLE.map((p, i) => ({
    id: demoId(`user-consent:${p.loginId}`),
    userId: userId(p.loginId),
    consentIp: demoIp(i),
    createdAt: at(p.joinedDay, 1, 5),
  }));
  const parentalConsents: ParentalConsent[] = [
    [LOGINS.parentMoreau, LOGINS.leaMoreau, -20],
    [LOGINS.parentMoreau, LOGINS.hugoMoreau, -18],
    [LOGINS.parentNavarro, LOGINS.luciaNavarro, -14],
    ...STUDENTS.filter((s) => !consentPending(s)).map((s) => [studentParentLogin(s.n), studentLogin(s.n), 2 + (s.n % 5)] as const),
  ].map(([parent, teen, day], i) => ({
    parentId: userId(parent as string),
    teenagerId: userId(teen as string),
    consentIp: `203.0.113.${i + 1}`,
    createdAt: at(day as number, 10, 30),
  }));

  const invitation = (
    name: DemoInvitationName,
    fields: Omit<Invitation, 'id' | 'tokenHash' | 'acceptedAt' | 'acceptedById'> &
      Partial<Pick<Invitation, 'acceptedAt' | 'acceptedById'>>,
  ): Invitation => ({
    id: demoId(`invitation:${name}`),
    tokenHash: sha256Hex(demoInvitationTokens[name]),
    acceptedAt: null,
    acceptedById: null,
    ...fields,
  });
  const invitations: Invitation[] = [
    invitation('famille-moreau-coparent', {
      collectiveId: demoIds.familyMoreau, inviterId: demoIds.parentMoreau, ageClass: null, language: 'fr',
      label: 'Invitation pour le co-parent', usageLimit: null, currentUses: 0, status: 'PENDING',
      createdAt: at(5, 10), expiresAt: at(400),
    }),
    invitation('familia-navarro-adolescente', {
      collectiveId: demoIds.familyNavarro, inviterId: demoIds.parentNavarro, ageClass: 'TEENAGER', language: 'es',
      label: 'Invitación para Mateo', usageLimit: 1, currentUses: 0, status: 'PENDING',
      createdAt: at(6, 10), expiresAt: at(400),
    }),
    invitation('classe-5eb-eleves', {
      collectiveId: demoIds.class5eB, inviterId: demoIds.teacher, ageClass: null, language: 'fr',
      label: 'Élèves de 5e B', usageLimit: 10, currentUses: 3, status: 'ACTIVE',
      createdAt: at(2, 1), expiresAt: at(400),
    }),
    invitation('famille-moreau-hugo', {
      collectiveId: demoIds.familyMoreau, inviterId: demoIds.parentMoreau, ageClass: 'PRETEEN', language: 'fr',
      label: 'Invitation pour Hugo', usageLimit: 1, currentUses: 1, status: 'ACCEPTED',
      createdAt: at(-19, 10), expiresAt: at(-12, 10), acceptedAt: at(-18, 1), acceptedById: demoIds.hugoMoreau,
    }),
    invitation('classe-5eb-expiree', {
      collectiveId: demoIds.class5eB, inviterId: demoIds.teacher, ageClass: null, language: 'fr',
      label: 'Première invitation de la classe', usageLimit: 5, currentUses: 0, status: 'EXPIRED',
      createdAt: at(-10, 4), expiresAt: at(-3, 4),
    }),
    invitation('classe-5eb-revoquee', {
      collectiveId: demoIds.class5eB, inviterId: demoIds.teacher, ageClass: null, language: 'fr',
      label: 'Lien envoyé par erreur', usageLimit: 30, currentUses: 0, status: 'REVOKED',
      createdAt: at(1, 9), expiresAt: at(400),
    }),
  ];

  const sessionOf = (loginId: string, conversation: number, session: number) =>
    chatSessions.find((c) => c.id === demoId(`chat-session:${loginId}:${conversation}:${session}`));
  const feedback: Feedback[] = (
    [
      [LOGINS.leaMoreau, 1, 1, 5, 'Ça m’a aidée à trouver les mots pour en parler à ma mère.'],
      [LOGINS.hugoMoreau, 1, 1, 4, 'C’était bien, le monstre est rigolo.'],
      [LOGINS.luciaNavarro, 1, 1, 5, 'Merci, je me sens moins seule.'],
      [studentLogin(1), 1, 1, 5, 'J’ai pu parler de ce qui se passe dans le groupe de classe.'],
      [studentLogin(4), 2, 1, 3, 'Les réponses étaient un peu longues.'],
      [studentLogin(8), 1, 1, 2, 'Je n’ai pas compris une des questions.'],
    ] as const
  ).flatMap(([loginId, conversation, session, rating, comment], i) => {
    const chat = sessionOf(loginId, conversation, session);
    if (!chat) return [];
    return [
      {
        id: demoId(`feedback:${i + 1}`),
        sessionId: chat.id,
        rating,
        comment,
        isPositive: rating >= 4,
        createdAt: new Date(chat.createdAt.getTime() + 25 * MINUTE),
      },
    ];
  });

  const pendingStudent = STUDENTS.find(consentPending)!;
  const authorizationRequests: ParentalAuthorizationRequest[] = [
    {
      id: demoId(`authorization-request:${studentLogin(pendingStudent.n)}`),
      teenagerId: userId(studentLogin(pendingStudent.n)),
      parentContact: DEMO_PARENT_CONTACT,
      parentId: null,
      status: 'PENDING',
      // A demo request has no mail and so no code: its parent consents as the class's families do.
      language: 'fr',
      codeHash: null,
      earlierCodeHashes: [],
      codeExpiresAt: null,
      failedAttempts: 0,
      createdAt: at(3, 9),
      resolvedAt: null,
    },
  ];

  return {
    users,
    idpLogins,
    collectives,
    memberships,
    userConsents,
    parentalConsents,
    conversations,
    chatSessions,
    invitations,
    feedback,
    authorizationRequests,
  };
}

// ---------------------------------------------------------------- writing it

export type WorldTable = keyof DemoWorld;
export type WorldSeedResult = Record<WorldTable, TableCount>;

export interface SeedWorldOptions {
  /** The reference date every timestamp derives from (default DEMO_REFERENCE_DATE). */
  now?: Date;
  /**
   * true (default): rows that differ from the definition are rewritten (an upsert).
   * false: only missing rows are inserted; rows changed since (a used invitation) stay as they are.
   */
  overwrite?: boolean;
}

interface TablePlan {
  table: WorldTable;
  count: TableCount;
  writes: PendingWrite[];
}

function tablePlan<T extends object>(
  table: WorldTable,
  desired: T[],
  stored: T[],
  key: (row: T) => string,
  create: (rows: T[]) => PendingWrite,
  update: (row: T) => PendingWrite,
  overwrite: boolean,
): TablePlan {
  const plan = planRows(desired, stored, key);
  const changed = overwrite ? plan.changed : [];
  const writes: PendingWrite[] = [];
  if (plan.missing.length) writes.push(create(plan.missing));
  for (const row of changed) writes.push(update(row));
  return { table, count: { total: desired.length, created: plan.missing.length, updated: changed.length }, writes };
}

/**
 * Writes the demo world idempotently: reads what exists (one query per table), inserts what is
 * missing and rewrites what differs, in one short transaction. A second run writes nothing.
 */
export async function seedDemoWorld(prisma: PrismaClient, options: SeedWorldOptions = {}): Promise<WorldSeedResult> {
  const world = buildDemoWorld(options.now ?? DEMO_REFERENCE_DATE);
  const overwrite = options.overwrite ?? true;
  const ids = (rows: { id: string }[]) => ({ id: { in: rows.map((r) => r.id) } });
  const userIds = world.users.map((u) => u.id);

  const [users, idpLogins, collectives, memberships, userConsents, parentalConsents, conversations, chatSessions, invitations, feedback, authorizationRequests] =
    await Promise.all([
      prisma.user.findMany({ where: ids(world.users) }),
      prisma.idpLogin.findMany({ where: { idp: 'MOCK_IDP', loginId: { in: world.idpLogins.map((l) => l.loginId) } } }),
      prisma.collective.findMany({ where: ids(world.collectives) }),
      prisma.collectiveMembership.findMany({ where: ids(world.memberships) }),
      prisma.userConsent.findMany({ where: ids(world.userConsents) }),
      prisma.parentalConsent.findMany({ where: { teenagerId: { in: userIds } } }),
      prisma.conversation.findMany({ where: ids(world.conversations) }),
      prisma.chatSession.findMany({ where: ids(world.chatSessions) }),
      prisma.invitation.findMany({ where: ids(world.invitations) }),
      prisma.feedback.findMany({ where: ids(world.feedback) }),
      prisma.parentalAuthorizationRequest.findMany({ where: ids(world.authorizationRequests) }),
    ]);

  const byId = (r: { id: string }) => r.id;
  // In foreign-key order: the writes run in this order inside the transaction.
  const plans: TablePlan[] = [
    tablePlan('users', world.users, users, byId,
      (data) => prisma.user.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.user.update({ where: { id }, data }), overwrite),
    tablePlan('idpLogins', world.idpLogins, idpLogins, (r) => `${r.idp}:${r.loginId}`,
      (data) => prisma.idpLogin.createMany({ data, skipDuplicates: true }),
      ({ idp, loginId, ...data }) => prisma.idpLogin.update({ where: { idp_loginId: { idp, loginId } }, data }), overwrite),
    tablePlan('collectives', world.collectives, collectives, byId,
      (data) => prisma.collective.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.collective.update({ where: { id }, data }), overwrite),
    tablePlan('memberships', world.memberships, memberships, byId,
      (data) => prisma.collectiveMembership.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.collectiveMembership.update({ where: { id }, data }), overwrite),
    tablePlan('userConsents', world.userConsents, userConsents, byId,
      (data) => prisma.userConsent.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.userConsent.update({ where: { id }, data }), overwrite),
    tablePlan('parentalConsents', world.parentalConsents, parentalConsents, (r) => `${r.parentId}:${r.teenagerId}`,
      (data) => prisma.parentalConsent.createMany({ data, skipDuplicates: true }),
      ({ parentId, teenagerId, ...data }) =>
        prisma.parentalConsent.update({ where: { parentId_teenagerId: { parentId, teenagerId } }, data }), overwrite),
    tablePlan('conversations', world.conversations, conversations, byId,
      (data) => prisma.conversation.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.conversation.update({ where: { id }, data }), overwrite),
    tablePlan('chatSessions', world.chatSessions, chatSessions, byId,
      (data) => prisma.chatSession.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.chatSession.update({ where: { id }, data }), overwrite),
    tablePlan('invitations', world.invitations, invitations, byId,
      (data) => prisma.invitation.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.invitation.update({ where: { id }, data }), overwrite),
    tablePlan('feedback', world.feedback, feedback, byId,
      (data) => prisma.feedback.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.feedback.update({ where: { id }, data }), overwrite),
    tablePlan('authorizationRequests', world.authorizationRequests, authorizationRequests, byId,
      (data) => prisma.parentalAuthorizationRequest.createMany({ data, skipDuplicates: true }),
      ({ id, ...data }) => prisma.parentalAuthorizationRequest.update({ where: { id }, data }), overwrite),
  ];

  await runWrites(prisma, plans.flatMap((p) => p.writes));
  return Object.fromEntries(plans.map((p) => [p.table, p.count])) as WorldSeedResult;
}
