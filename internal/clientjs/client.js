// Latch browser client: useSession() for pages without React or Nuxt.
export function useSession() {
  throw new Error("not built yet");
}
