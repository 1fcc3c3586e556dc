// client.js is the browser entry of the real-browser tests: it exposes the
// real next-auth/react client functions on window.nextAuth, so the test
// plan can call them in the page. build.mjs bundles it with esbuild.
import { getCsrfToken, getProviders, getSession, signIn, signOut } from "next-auth/react";

window.nextAuth = { getCsrfToken, getProviders, getSession, signIn, signOut };
window.dispatchEvent(new Event("nextauth-ready"));
