console.log("static-html app");
