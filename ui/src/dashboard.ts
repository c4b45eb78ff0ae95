import { mount } from "svelte";
import Dashboard from "./components/dashboard/Dashboard.svelte";
import "./styles.css";

mount(Dashboard, { target: document.getElementById("app")! });
