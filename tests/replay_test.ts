import { testScripts } from "../mod.ts";
testScripts(new URL("../scripts/*.sockit", import.meta.url));
