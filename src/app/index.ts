export { createCitysense, type Citysense, type Started } from './citysense.js';
