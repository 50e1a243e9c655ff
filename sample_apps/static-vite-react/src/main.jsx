import React from "react";
import ReactDOM from "react-dom/client";
import { BrowserRouter, Link, Route, Routes } from "react-router-dom";
import "./app.css";

function Home() {
  return <h1>Hello from static-vite-react!</h1>;
}

function User({ name }) {
  return <h1>Profile page</h1>;
}

ReactDOM.createRoot(document.getElementById("root")).render(
  <BrowserRouter>
    <nav><Link to="/">Home</Link> <Link to="/users/42">User 42</Link></nav>
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/users/:id" element={<User />} />
    </Routes>
  </BrowserRouter>
);
