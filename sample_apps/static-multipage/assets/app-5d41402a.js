console.log("static-multipage app 5d41402a");
