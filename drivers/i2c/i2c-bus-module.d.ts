// i2c-bus ships no type declarations; the binding declares the part of its API it uses.
declare module 'i2c-bus';
