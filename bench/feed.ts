import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { OWNER, READER, seedFeed } from './feed-seed.js'
import { benchDatabases, cleanupOnExit, finishRun, runSettings, CONNECTIONS, emptyConfig, kaikuEnv, measurer, prepare, runRounds, signIn, startBaseline, startKaiku, stopServer, type Group, type Run } from './harness.js'
import { freePort, residentMiB, type Server } from './processes.js'
import { median, summarise, table, type Comparison, type ComparisonSummary, type Measurement } from './report.js'

/**
 * The feed as a signed-in member reads it (GET /feed, "For you", 20 posts a page) with 1,000 and with
 * 100,000 posts in the database, against bare Fastify's /html measured in the same rounds, on SQLite
 * and (with DATABASE_URL=postgres://…) PostgreSQL. `npm run bench -- feed`; see bench/README.md.
 */
const resultsFile = join(import.meta.dirname, 'results', 'feed.json')
const PLUGINS = 'tenancy,auth,feeds'

/** Targets of issue 5: the big feed within 10% of the small one, and a floor against bare Fastify. */
const TARGETS = { scaling: 0.9, ratio: { sqlite: 0.1, postgresql: 0.04 } as Record<Comparison['database'], number> }

function postCounts(env: NodeJS.ProcessEnv): number[] {
  const raw = env.BENCH_FEED_POSTS?.trim() || '1000,100000'
  const counts = raw.split(',').map((part) => Number(part.trim()))
  if (counts.length !== 2 || counts.some((n) => !Number.isInteger(n) || n < 30 || n > 1_000_000) || counts[0] >= counts[1]) {
    throw new Error(`BENCH_FEED_POSTS: '${raw}' is not valid; expected two post counts, smaller first, each from 30 to 1000000 (e.g. 1000,100000)`)
  }
  return counts
}

/**
 * The page wrk will load, checked once by hand: "For you" for the signed-in reader, 20 posts and a
 * link to the next page. Returns its size, so that every run can prove it got this page (a lost
 * session would answer a small redirect to /login, which wrk counts as a success).
 */
async function checkFeed(server: Server, cookie: string): Promise<number> {
  const response = await fetch(server.url('/feed'), { headers: { cookie, accept: 'text/html' }, redirect: 'manual' })
  const body = await response.text()
  const problems = [
    response.status !== 200 && `status ${response.status}`,
    !/aria-current="page">For you</.test(body) && 'not the "For you" tab',
    (body.match(/<li><article class="post-card/g) ?? []).length < 20 && 'fewer than 20 posts',
    !body.includes('rel="next"') && 'no next page'
  ].filter(Boolean)
  if (problems.length) throw new Error(`${server.name}: GET /feed is not the page to measure: ${problems.join(', ')}`)
  return Buffer.byteLength(body)
}

interface Target {
  database: Comparison['database']
  posts: number
  server: Server
  run: Run
}

export async function feedBench(): Promise<void> {
  const { settings, cpu, wrk } = prepare()
  const counts = postCounts(process.env)
  const plugins = process.env.KAIKU_PLUGINS?.trim() || PLUGINS
  const cleanup = cleanupOnExit()
  try {
    const dir = mkdtempSync(join(tmpdir(), 'kaiku-bench-feed-'))
    cleanup.add(async () => rmSync(dir, { recursive: true, force: true }))
    const configFile = emptyConfig(dir)
    const baseline = await startBaseline(cpu.server)
    cleanup.add(() => stopServer(baseline))

    const databases = benchDatabases(settings, dir, cleanup)

    const targets: Target[] = []
    for (const { database, url } of databases) {
      for (const posts of counts) {
        const name = `${database}-${posts}`
        const env = kaikuEnv({ dir, name, port: await freePort(), databaseUrl: await url(`feed-${posts}`), configFile, plugins })
        const started = Date.now()
        await seedFeed(env, dir, posts)
        process.stdout.write(`bench: ${database}: ${posts.toLocaleString('en-US')} posts seeded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
        const server = await startKaiku(`kaiku ${database} ${posts >= 1000 ? `${posts / 1000}k` : posts}`, env, cpu.server)
        cleanup.add(() => stopServer(server))
        const cookie = await signIn(server, READER)
        const pageBytes = await checkFeed(server, cookie)
        const check = (result: Measurement) => {
          // No answer at all within the run is a (dismal) measurement; small answers are not the page.
          const perAnswer = result.bytesRead / result.requests
          if (result.requests > 0 && perAnswer < pageBytes) throw new Error(`${server.name}: answers averaged ${Math.round(perAnswer)} bytes, less than the ${pageBytes}-byte feed page: not the page`)
        }
        targets.push({ database, posts, server, run: { server, path: '/feed', headers: { cookie, accept: 'text/html' }, timeoutSeconds: 30, check } })
      }
    }

    // One group per database: bare Fastify's page, then the small feed, then the big one.
    const groups = databases.map(({ database }) => {
      const [small, big] = targets.filter((t) => t.database === database)
      const group: Group = { id: database, runs: [{ server: baseline, path: '/html' }, small.run, big.run] }
      return { database, small, big, group }
    })
    const runsPerRound = groups.length * 3
    process.stdout.write(
      `bench: feed of ${counts.map((n) => n.toLocaleString('en-US')).join(' and ')} posts; ${settings.rounds} round(s) of ${settings.seconds} s per run, ` +
        `${runsPerRound} runs a round, about ${settings.rounds * runsPerRound * settings.seconds + (1 + targets.length) * settings.warmupSeconds} s of load; ` +
        `servers on cpu ${cpu.server ?? 'any'}, wrk on cpu ${cpu.load ?? 'any'}\n`
    )
    const measure = measurer(cpu.load)
    if (settings.warmupSeconds > 0) {
      process.stdout.write(`bench: warming up (${settings.warmupSeconds} s per server)\n`)
      await measure({ server: baseline, path: '/html' }, settings.warmupSeconds)
      for (const target of targets) await measure(target.run, settings.warmupSeconds)
    }

    const loadBefore = loadavg()
    const { results, warnings } = await runRounds(
      groups.map((g) => g.group),
      settings.rounds,
      settings.seconds,
      measure
    )
    // Still signed in at the end: every run measured the page.
    for (const target of targets) await checkFeed(target.server, target.run.headers!.cookie)

    const summaries: ComparisonSummary[] = []
    const scaling = groups.map(({ database, small, big, group }) => {
      const rounds = results.get(group)!
      for (const [index, target] of [small, big].entries()) {
        summaries.push(
          summarise(
            { id: `feed-${target.posts}`, kaikuPath: '/feed', baselinePath: '/html', database, what: `"For you", signed in, ${target.posts} posts`, label: `\`/feed\` ${target.posts.toLocaleString('en-US')} posts vs \`/html\`` },
            rounds.map((measured, round) => ({ round: round + 1, baseline: measured[0], kaiku: measured[index + 1] }))
          )
        )
      }
      const ratios = rounds.map((measured) => measured[2].requestsPerSecond / measured[1].requestsPerSecond)
      const cpuRatios = rounds.map((measured) => (measured[1].cpuMicrosecondsPerRequest ?? Number.NaN) / (measured[2].cpuMicrosecondsPerRequest ?? Number.NaN))
      return { database, small: small.posts, big: big.posts, ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) }, cpuRatio: median(cpuRatios) }
    })

    const verdicts = [
      ...scaling.map((s) => ({ what: `${s.database}: ${s.big.toLocaleString('en-US')} posts within 10% of ${s.small.toLocaleString('en-US')}`, value: s.ratio.median, target: TARGETS.scaling })),
      ...summaries.map((s) => ({ what: `${s.database}: ${s.label} at least ${TARGETS.ratio[s.database].toFixed(2)}×`, value: s.ratio.median, target: TARGETS.ratio[s.database] }))
    ].map((v) => ({ ...v, met: v.value >= v.target }))
    const memory = Object.fromEntries([baseline, ...targets.map((t) => t.server)].map((s) => [s.name, residentMiB(s)]))

    process.stdout.write(`\n${table(summaries)}\n\n`)
    process.stdout.write(
      [
        '| db | req/s ratio big / small feed (min–max) | CPU ratio |',
        '|---|--:|--:|',
        ...scaling.map((s) => `| ${s.database} | **${s.ratio.median.toFixed(2)}** (${s.ratio.min.toFixed(2)}–${s.ratio.max.toFixed(2)}) | ${s.cpuRatio.toFixed(2)} |`)
      ].join('\n') + '\n\n'
    )
    finishRun(
      resultsFile,
      {
        verdicts,
        digits: 2,
        memory,
        warnings,
        wrk,
        loadBefore,
        settings: runSettings(settings, cpu, CONNECTIONS, { posts: counts, plugins, signedInAs: READER.email, instance: OWNER.slug })
      },
      { scaling, comparisons: summaries }
    )
  } finally {
    await cleanup.run()
  }
}
