// A Nuxt app that uses @sidebase/nuxt-auth's authjs provider against
// Latch. cmd/latch's browser tests generate it as static files (into the
// folders named by LATCH_NUXT_BUILD_DIR and LATCH_NUXT_OUTPUT_DIR). Served
// on Latch's origin, it reaches the auth API at /api/auth, as when Nuxt
// and Latch sit behind one proxy; with LATCH_NUXT_AUTH_URL (Latch's full
// auth URL) it is served from another origin and calls Latch there.
//
// LATCH_NUXT_PROVIDER=local builds it on nuxt-auth's local provider
// instead, against Latch's <base>/local endpoints, with refresh tokens
// (LATCH_NUXT_REFRESH=off: without; =rotate: keeping each new refresh
// token, as Latch's local.refresh.rotate needs).
//
// LATCH_NUXT_SSR=1 builds it as a server (nuxi build) that renders pages
// with the session, calling Latch at AUTH_ORIGIN (its full local base URL)
// from the server.
const authURL = process.env.LATCH_NUXT_AUTH_URL
const local = process.env.LATCH_NUXT_PROVIDER === 'local'
const refresh = process.env.LATCH_NUXT_REFRESH || 'on'
const ssr = process.env.LATCH_NUXT_SSR === '1'

export default defineNuxtConfig({
  ssr,
  modules: ['@sidebase/nuxt-auth'],
  auth: {
    baseURL: authURL || (local ? '/api/auth/local' : '/api/auth'),
    disableInternalRouting: local || !!authURL,
    provider: local
      ? {
          type: 'local',
          token: { maxAgeInSeconds: 1800 },
          refresh: {
            isEnabled: refresh !== 'off',
            refreshOnlyToken: refresh !== 'rotate',
            token: { maxAgeInSeconds: 604800 },
          },
        }
      : { type: 'authjs' },
    disableServerSideAuth: !ssr,
    globalAppMiddleware: false,
  },
  buildDir: process.env.LATCH_NUXT_BUILD_DIR || '.nuxt',
  nitro: { output: { dir: process.env.LATCH_NUXT_OUTPUT_DIR || '.output' } },
  telemetry: false,
  devtools: { enabled: false },
})
