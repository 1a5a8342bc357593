// The kinds' resource types are defined once, in src/api (the kubectl plugin needs them too).
export { K3Resources } from "../api/resources.js";
