// Relevance on a labelled corpus: 44 short documents on distinct topics, 30 questions each with
// the document that answers it. The questions paraphrase (other words, inflections, missing
// accents); the hash provider is lexical, so each still shares a word or two with its document.
// Recall@5 must reach 0.9 in both modes; HYBRID's recall never below VECTOR's.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp, testConfig } from './helpers/app.ts';
import { createSession, createUser } from './factories/index.ts';
import { SEARCH, startEmbeddingServer, type SearchResultShape } from './helpers/search.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { CachedEmbedder } from '../src/search/embedding-cache.ts';
import { ingestDocument } from '../src/search/ingest.ts';
import { evaluateRelevance, ingestKnowledgeBase, loadQuestions, relevanceTable } from '../scripts/bench/relevance.ts';
import { createSearchService } from '../src/search/factory.ts';
import type { SearchService } from '../src/search/service.ts';

/** source -> [title, text] */
const CORPUS: Record<string, [string, string]> = {
  cyberharcelement: ['Cyberharcèlement', 'Le cyberharcèlement, ce sont des messages méchants, des insultes ou des menaces envoyés en ligne, encore et encore. Ce n’est jamais de ta faute.'],
  apparence: ['Moqueries sur l’apparence', 'Des remarques répétées sur ton poids, tes boutons, tes lunettes ou tes vêtements sont une forme de harcèlement. Ton corps n’a rien à corriger.'],
  exclusion: ['Mis à l’écart', 'Quand une bande refuse que tu t’assoies à sa table à la cantine ou t’ignore exprès, c’est de l’exclusion. Cherche d’autres élèves qui partagent tes passions.'],
  racket: ['Racket', 'Si quelqu’un te force à donner ton argent de poche, ton goûter ou tes affaires, c’est du racket : un délit. Préviens un adulte sans attendre.'],
  rumeurs: ['Rumeurs', 'Une rumeur inventée qui circule dans les couloirs peut blesser fort. Ne la répète pas, et dis calmement la vérité à ceux qui comptent pour toi.'],
  photos_intimes: ['Photos intimes diffusées', 'Partager une photo intime de quelqu’un sans son accord est interdit par la loi. Demande le retrait de l’image et signale-la immédiatement.'],
  jeux_en_ligne: ['Insultes dans les jeux vidéo', 'Dans les parties en ligne, certains joueurs insultent dans le chat vocal. Coupe le micro, quitte le serveur et signale le pseudo.'],
  adulte_confiance: ['Parler à un adulte de confiance', 'Un adulte de confiance peut être un parent, un professeur, le CPE ou un entraîneur. Lui raconter ce qui se passe est courageux, pas une trahison.'],
  numero_3018: ['Le 3018', 'Le 3018 est le numéro national gratuit et anonyme contre les violences numériques. On peut appeler, écrire par tchat ou utiliser l’application.'],
  bloquer_signaler: ['Bloquer et signaler', 'Chaque application permet de bloquer un compte et de le signaler aux modérateurs. Le bloquer l’empêche de te contacter.'],
  preuves: ['Garder des preuves', 'Fais des captures d’écran des messages, avec la date et le nom du compte, avant de les supprimer. Ces preuves aideront si tu portes plainte.'],
  temoin: ['Quand on est témoin', 'Si tu assistes à du harcèlement, ne ris pas avec les autres. Reste près de la victime et va chercher de l’aide : un témoin peut tout changer.'],
  colere: ['Gérer sa colère', 'La colère monte vite quand on est blessé. Compte jusqu’à dix, éloigne-toi, tape dans un coussin plutôt que sur quelqu’un.'],
  respiration: ['Respirer pour se calmer', 'Pour calmer l’angoisse, inspire par le nez pendant quatre secondes, bloque, puis expire lentement par la bouche. Recommence cinq fois.'],
  sommeil: ['Sommeil et écrans', 'La lumière bleue des écrans retarde l’endormissement. Pose ton téléphone hors de la chambre une heure avant de dormir.'],
  estime: ['Confiance en soi', 'Note chaque soir trois choses que tu as réussies. L’estime de soi se reconstruit petit à petit, surtout après des humiliations.'],
  messages_nuit: ['Messages la nuit', 'Recevoir des messages menaçants en pleine nuit empêche de se reposer. Active le mode ne pas déranger et garde les messages pour un adulte.'],
  faux_profil: ['Faux profil', 'Quelqu’un a créé un faux compte à ton nom avec tes photos ? C’est une usurpation d’identité : signale le profil et demande sa suppression.'],
  mot_de_passe: ['Mots de passe', 'Un bon mot de passe est long, unique pour chaque compte et jamais partagé, même avec ton meilleur ami. Active la double authentification.'],
  sextorsion: ['Chantage aux photos', 'Si quelqu’un menace de publier tes photos sauf si tu payes ou en envoies d’autres, c’est de la sextorsion. Ne paie pas, n’envoie rien, parle au 3018.'],
  racisme: ['Racisme', 'Les insultes sur la couleur de peau, l’origine ou la religion sont du racisme et sont punies par la loi. Tu mérites le respect.'],
  homophobie: ['Homophobie', 'Se moquer de quelqu’un parce qu’il est gay, lesbienne ou bi, ou qu’on le croit, c’est de l’homophobie. Des associations écoutent les jeunes LGBT.'],
  violence_physique: ['Coups et bousculades', 'Se faire frapper, pousser dans les escaliers ou faire des croche-pieds, ce sont des violences physiques. Va voir l’infirmerie et un adulte.'],
  bus: ['Dans le bus scolaire', 'Dans le car scolaire, assieds-toi près du chauffeur si des élèves t’embêtent pendant le trajet. Le chauffeur peut prévenir l’établissement.'],
  changer_ecole: ['Changer d’établissement', 'Changer de collège peut être une solution quand le harcèlement continue malgré tout. Cette décision se prend avec tes parents et l’équipe.'],
  parents: ['En parler à ses parents', 'Tu as peur de décevoir tes parents ou qu’ils s’inquiètent ? Choisis un moment calme, par exemple en voiture, et commence par une seule phrase.'],
  infirmiere: ['L’infirmière et la psychologue', 'L’infirmière scolaire et le psychologue de l’éducation nationale écoutent en toute confidentialité, sans rendez-vous compliqué.'],
  journal: ['Écrire ses émotions', 'Tenir un journal intime aide à mettre des mots sur la tristesse. Dessine, écris des poèmes ou des listes : personne n’a besoin de le lire.'],
  sport: ['Le sport fait du bien', 'Courir, nager ou danser libère des endorphines qui réduisent le stress. Une activité sportive en club permet aussi de rencontrer du monde.'],
  solitude: ['Se sentir seul', 'La solitude à l’adolescence est fréquente. Rejoindre une chorale, un atelier théâtre ou un serveur de fans aide à trouver sa bande.'],
  groupe_classe: ['Le groupe de classe', 'Le groupe WhatsApp de la classe peut devenir un lieu de moqueries. Tu peux quitter la conversation, et un délégué peut rappeler les règles.'],
  defis: ['Défis dangereux', 'Les défis dangereux vus sur TikTok, comme le jeu du foulard, peuvent tuer. Refuser un challenge n’est pas être lâche.'],
  professeur: ['Conflit avec un professeur', 'Si un enseignant t’humilie devant la classe, note les faits et parles-en au CPE ou au principal. Les adultes aussi doivent respecter les élèves.'],
  handicap: ['Handicap et moqueries', 'Imiter un élève qui bégaie ou se moquer d’un fauteuil roulant est de la discrimination liée au handicap. Chacun a sa place à l’école.'],
  surnoms: ['Surnoms blessants', 'Un surnom répété tous les jours peut faire très mal, même « pour rire ». Dis clairement que tu ne veux plus l’entendre.'],
  jalousie: ['Jalousie entre amis', 'La jalousie dans une amitié arrive à tout le monde. Parle de ce que tu ressens sans accuser : « je me suis senti mis de côté ».'],
  premier_telephone: ['Premier téléphone', 'Avec ton premier smartphone, règle la confidentialité, limite qui peut t’ajouter et discute des horaires d’utilisation en famille.'],
  contenus_choquants: ['Images choquantes', 'Tu es tombé sur une vidéo violente ou pornographique ? Ferme-la, ce n’est pas ta faute, et parles-en : cela peut rester en tête.'],
  reparer: ['Réparer ses erreurs', 'Tu as participé à des moqueries et tu le regrettes ? Présente des excuses sincères et arrête de suivre le groupe : il n’est jamais trop tard.'],
  rentree: ['Angoisse de la rentrée', 'Avoir mal au ventre avant la rentrée de septembre est normal. Prépare ton sac la veille et repère un visage familier en arrivant.'],
  temps_ecran: ['Trop d’écrans', 'Passer des heures sur les jeux vidéo peut empiéter sur le sommeil et les devoirs. Fixe une limite de temps avec une alarme.'],
  geolocalisation: ['Géolocalisation', 'Partager sa position en permanence sur Snapchat permet à des inconnus de savoir où tu es. Active le mode fantôme.'],
  vol_portable: ['Téléphone confisqué ou volé', 'Si un élève te prend ton portable et fouille tes messages, c’est une atteinte à ta vie privée. Change tes codes et préviens un adulte.'],
  anniversaire: ['Pas invité à l’anniversaire', 'Ne pas être invité à une fête dont toute la classe parle fait mal. Organise un moment avec ceux qui comptent vraiment pour toi.'],
};

/** [question, the source that answers it] */
const QUERIES: [string, string][] = [
  ['on m’envoie des menaces en ligne tous les soirs', 'cyberharcelement'],
  ['ils se moquent de mes lunettes et de mon poids', 'apparence'],
  ['personne ne veut que je m’assoie à leur table à la cantine', 'exclusion'],
  ['un grand me force à lui donner mon argent de poche', 'racket'],
  ['une fausse rumeur circule sur moi au collège', 'rumeurs'],
  ['une photo intime de moi a été partagée sans mon accord', 'photos_intimes'],
  ['des joueurs m’insultent dans le chat vocal pendant les parties', 'jeux_en_ligne'],
  ['à quel adulte je peux faire confiance pour raconter', 'adulte_confiance'],
  ['numéro gratuit et anonyme violences numériques', 'numero_3018'],
  ['comment bloquer quelqu’un sur une application', 'bloquer_signaler'],
  ['faut-il faire des captures d’écran avant de porter plainte', 'preuves'],
  ['j’ai vu un élève se faire harceler, je suis témoin, que faire', 'temoin'],
  ['je suis tellement en colère que j’ai envie de taper', 'colere'],
  ['exercice de respiration contre l’angoisse', 'respiration'],
  ['je n’arrive pas à dormir à cause de mon téléphone', 'sommeil'],
  ['quelqu’un a créé un faux compte avec mes photos', 'faux_profil'],
  ['comment choisir un mot de passe solide', 'mot_de_passe'],
  ['il menace de publier mes photos si je ne paie pas', 'sextorsion'],
  ['insultes racistes sur ma couleur de peau', 'racisme'],
  ['on se moque de moi parce qu’on croit que je suis gay', 'homophobie'],
  ['des élèves me poussent dans les escaliers', 'violence_physique'],
  ['les élèves m’embêtent dans le car scolaire', 'bus'],
  ['je veux changer de college', 'changer_ecole'],
  ['j’ai peur de decevoir mes parents en leur parlant', 'parents'],
  ['le groupe whatsapp de la classe se moque de moi', 'groupe_classe'],
  ['un défi dangereux sur tiktok, le jeu du foulard', 'defis'],
  ['mon professeur m’humilie devant toute la classe', 'professeur'],
  ['ils imitent mon bégaiement, je suis en fauteuil roulant', 'handicap'],
  ['j’ai participé à des moqueries et je regrette, comment m’excuser', 'reparer'],
  ['j’ai mal au ventre avant la rentree de septembre', 'rentree'],
];

describe(`search relevance on a labelled corpus (${dbKind})`, () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Every search really searches: the level-2 cache would only repeat the first answers.
    ({ gql } = createTestApp(db, { RAG_CACHE_ENABLED: 'false' }));
    token = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'TEENAGER' })).id)).token;
    const embedder = new CachedEmbedder(db.prisma, new HashEmbedder());
    for (const [source, [title, text]] of Object.entries(CORPUS)) {
      await ingestDocument(db.prisma, embedder, { collection: 'YOUTH', source, title, language: 'fr', content: `# ${title}\n\n${text}` });
    }
  });
  afterAll(() => db?.destroy());

  /** The rank (1-based) of the expected document among the top 5, or null. */
  async function rankOf(query: string, expected: string, mode: 'VECTOR' | 'HYBRID') {
    const r = await gql<{ searchDocuments: SearchResultShape[] }>(SEARCH, { query, mode, first: 5 }, { token });
    expect(r.errors).toBeUndefined();
    const i = r.data!.searchDocuments.findIndex((x) => x.document.source === expected);
    return i < 0 ? null : i + 1;
  }

  it('has at least 40 documents and 30 labelled queries', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(40);
    expect(QUERIES.length).toBeGreaterThanOrEqual(30);
    for (const [, source] of QUERIES) expect(CORPUS).toHaveProperty(source);
  });

  it('recall@5 >= 0.9 in both modes; HYBRID never worse than VECTOR in recall@5, its MRR within 0.05', async () => {
    const ranks = { VECTOR: [] as (number | null)[], HYBRID: [] as (number | null)[] };
    for (const [query, expected] of QUERIES) {
      ranks.VECTOR.push(await rankOf(query, expected, 'VECTOR'));
      ranks.HYBRID.push(await rankOf(query, expected, 'HYBRID'));
    }
    const recall = (r: (number | null)[]) => r.filter((x) => x !== null).length / r.length;
    const mrr = (r: (number | null)[]) => r.reduce<number>((s, x) => s + (x ? 1 / x : 0), 0) / r.length;
    const report = {
      VECTOR: { recallAt5: recall(ranks.VECTOR), mrr: mrr(ranks.VECTOR) },
      HYBRID: { recallAt5: recall(ranks.HYBRID), mrr: mrr(ranks.HYBRID) },
      /** Questions either mode missed, with their ranks (VECTOR/HYBRID). */
      missed: QUERIES.map(([q], i) => `${q} (${ranks.VECTOR[i]}/${ranks.HYBRID[i]})`).filter((_, i) => ranks.VECTOR[i] === null || ranks.HYBRID[i] === null),
    };
    expect(report.VECTOR.recallAt5, JSON.stringify(report)).toBeGreaterThanOrEqual(0.9);
    expect(report.HYBRID.recallAt5, JSON.stringify(report)).toBeGreaterThanOrEqual(0.9);
    expect(report.HYBRID.recallAt5, JSON.stringify(report)).toBeGreaterThanOrEqual(report.VECTOR.recallAt5);
    // Both modes find every answer here; the fused order may place it a rank lower now and then
    // (stemmed hash embedder: VECTOR MRR 0.98, HYBRID 0.96).
    expect(report.HYBRID.mrr, JSON.stringify(report)).toBeGreaterThanOrEqual(report.VECTOR.mrr - 0.05);
    // Query by query: no question HYBRID misses that VECTOR finds.
    expect(QUERIES.filter((_, i) => ranks.VECTOR[i] !== null && ranks.HYBRID[i] === null)).toEqual([]);
    console.log(`relevance (${dbKind}): ${JSON.stringify(report)}`);
  });
});

/**
 * Floors of HYBRID hit@5 on the held-out half of test/fixtures/search-questions.json (questions
 * written the way teenagers and parents ask, over the demo knowledge base, whose documents carry
 * authored `questions`), per language: one question under the figure measured on both databases
 * (fr 1.0, en 0.8, es 0.9, it 1.0, de 0.8, pt 1.0; README "Reading these figures honestly"). Ties
 * are broken by source and ordinal, but the HNSW graph differs between builds, so the margin stays.
 * French keeps issue 16's target, 0.9 (11 of 12).
 */
const HELD_OUT_HYBRID_HIT_AT_5: Record<string, number> = { fr: 0.9, en: 0.7, es: 0.8, it: 0.9, de: 0.7, pt: 0.9 };

describe(`search relevance on the demo knowledge base, labelled questions in six languages (${dbKind})`, () => {
  let db: TestDatabase;
  let search: SearchService;
  beforeAll(async () => {
    db = await createTestDatabase();
    // As the server builds it (the test configuration: hash provider), every search really searching.
    search = createSearchService(testConfig(db, { RAG_CACHE_ENABLED: 'false' }), db);
    await ingestKnowledgeBase(db.prisma, search);
  }, 300_000);
  afterAll(() => db?.destroy());

  it('has at least 20 questions per language, split into tuning and held-out halves, each naming existing documents', async () => {
    const questions = loadQuestions();
    const sources = new Set((await db.prisma.document.findMany({ select: { source: true } })).map((d) => d.source));
    for (const language of Object.keys(HELD_OUT_HYBRID_HIT_AT_5)) {
      const mine = questions.filter((q) => q.language === language);
      expect(mine.length).toBeGreaterThanOrEqual(20);
      expect(mine.filter((q) => q.split === 'heldout').length).toBeGreaterThanOrEqual(10);
      expect(mine.filter((q) => q.split === 'tuning').length).toBeGreaterThanOrEqual(10);
    }
    for (const q of questions) for (const a of q.answers) expect(sources, `${q.id}: ${a}`).toContain(a);
  });

  it('reaches the per-language floor of HYBRID hit@5 on the held-out questions', async () => {
    const report = await evaluateRelevance(db.prisma, loadQuestions(), search);
    console.log(`relevance on the labelled questions (${dbKind}):\n${relevanceTable(report)}`);
    for (const [language, floor] of Object.entries(HELD_OUT_HYBRID_HIT_AT_5)) {
      const row = report.rows.find((r) => r.split === 'heldout' && r.language === language && r.mode === 'HYBRID')!;
      expect(row.hitAt5, `${language} held-out HYBRID hit@5`).toBeGreaterThanOrEqual(floor);
    }
  }, 600_000);
});

describe(`the relevance benchmark measures the configured embedding provider (${dbKind})`, () => {
  it('with EMBEDDINGS_PROVIDER=openai, ingests and asks through the endpoint and reports its model', async () => {
    const server = await startEmbeddingServer();
    try {
      // What `npm run bench:search -- --relevance` runs per revision (a fresh database: PGlite in
      // memory, or a new one on DATABASE_URL's server).
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench/relevance-main.ts', '--json'], {
        cwd: path.resolve(import.meta.dirname, '..'),
        env: { ...process.env, EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_URL: server.url, EMBEDDINGS_MODEL: 'stand-in-model', EMBEDDINGS_API_KEY: 'k', LOG_LEVEL: 'silent' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 400_000,
      });
      const measured = JSON.parse(stdout.trim().split('\n').at(-1)!) as { model: string; chunks: number };
      expect(measured.model).toBe('stand-in-model');
      expect(measured.chunks).toBeGreaterThan(0);
      // Chunks and questions alike reached the endpoint (a question with its slang expansion appended).
      const question = loadQuestions()[0].question;
      expect(server.texts.some((t) => t.startsWith(question))).toBe(true);
      expect(server.texts.length).toBeGreaterThan(measured.chunks);
    } finally {
      await server.close();
    }
  }, 450_000);
});
