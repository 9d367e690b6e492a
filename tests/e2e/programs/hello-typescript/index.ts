// Test program: stack outputs from plain and secret config, or an error when the stack asks for one.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
if (config.getBoolean("fail")) {
    throw new Error("the program was asked to fail (config fail=true)");
}
const name: string = config.require("name"); // a type annotation: Node.js alone would not run this
export const message = `hello ${name} from typescript on ${pulumi.getStack()}`;
export const token = config.requireSecret("token");
