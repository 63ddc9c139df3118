// The app's words in English and Vietnamese: one dictionary each, same keys.
export const DICTIONARIES = {
  en: {
    title: "Urban Twin", map_view: "Map", ioc_view: "Operations centre", underground: "Underground",
    names: "Names",
    exaggeration: "Depth ×", time: "Time", now: "now", layers: "Layers", lighting: "Lighting coverage",
    lighting_run: "Compute for this view", lighting_whatif: "What if these lamps go dark?",
    before: "Before", after: "After", clear: "Clear", kpis: "Key figures", incidents: "Incidents",
    loading: "Loading…", ready: "Ready", not_available: "Not available yet on this server",
    failed: "Request failed", attributes: "Attributes", live: "Live values", history: "Recent history",
    no_live: "No live values reported", no_history: "No history", what_if: "What if this fails?",
    outage_running: "Running the outage simulation…", affected: "Affected assets",
    customers: "customers without supply", operate: "Switches and valves to operate",
    camera: "Camera", status: "Status", stream: "Stream", snapshot: "Latest snapshot", online: "online",
    offline: "offline", unknown: "unknown", acknowledge: "Acknowledge", resolve: "Resolve",
    no_incidents: "No open incidents", close: "Close", state_at: "State at", live_updates: "live",
    lux_avg: "average lux", roads_lit: "roads computed", dark_spots: "dark spots",
    select_first: "Select a lamp, or run “What if this fails?” on an asset, first", stream_lost: "Live stream interrupted; retrying",
    layer_missing: "no data on this server",
    login_title: "Log in to Urban Twin", user_name: "Name", password: "Password", log_in: "Log in",
    log_out: "Log out", cancel: "Cancel", session_ended: "Your session has ended: log in again",
    role_viewer: "viewer", role_engineer: "engineer", role_operator: "operator", role_admin: "admin",
    kpi: {
      lamps: "Street lamps", cameras: "Cameras", customers_without_service: "Customers without service",
      households_with_fibre: "Households with fibre", open_incidents: "Open incidents",
      open_incidents_by_ward: "Open incidents by ward", total: "total", failed: "failed", off: "off",
      working: "working", offline: "offline", uptime_percent: "uptime %", power: "power",
      water: "water", telecom: "telecom", failed_assets: "failed assets",
    },
  },
  vi: {
    title: "Bản sao số đô thị", map_view: "Bản đồ", ioc_view: "Trung tâm điều hành", underground: "Ngầm",
    names: "Tên đường, phường",
    exaggeration: "Độ sâu ×", time: "Thời gian", now: "hiện tại", layers: "Lớp dữ liệu",
    lighting: "Độ phủ chiếu sáng", lighting_run: "Tính cho khung nhìn này",
    lighting_whatif: "Nếu các đèn này tắt thì sao?", before: "Trước", after: "Sau",
    clear: "Xóa", kpis: "Chỉ số chính", incidents: "Sự cố", loading: "Đang tải…", ready: "Sẵn sàng",
    not_available: "Máy chủ này chưa có chức năng này", failed: "Yêu cầu thất bại",
    attributes: "Thuộc tính", live: "Giá trị trực tuyến", history: "Lịch sử gần đây",
    no_live: "Chưa có giá trị trực tuyến", no_history: "Chưa có lịch sử",
    what_if: "Nếu tài sản này hỏng thì sao?", outage_running: "Đang mô phỏng mất điện/nước…",
    affected: "Tài sản bị ảnh hưởng", customers: "khách hàng mất cấp",
    operate: "Thiết bị đóng cắt và van cần thao tác", camera: "Camera", status: "Trạng thái",
    stream: "Luồng video", snapshot: "Ảnh chụp gần nhất", online: "trực tuyến", offline: "mất kết nối",
    unknown: "không rõ", acknowledge: "Xác nhận", resolve: "Giải quyết",
    no_incidents: "Không có sự cố đang mở", close: "Đóng", state_at: "Trạng thái lúc",
    live_updates: "trực tuyến", lux_avg: "lux trung bình", roads_lit: "đoạn đường đã tính",
    dark_spots: "điểm tối", select_first: "Hãy chọn một đèn, hoặc chạy “Nếu tài sản này hỏng thì sao?” trước",
    stream_lost: "Mất luồng trực tuyến; đang thử lại", layer_missing: "máy chủ không có dữ liệu",
    login_title: "Đăng nhập Bản sao số đô thị", user_name: "Tên đăng nhập", password: "Mật khẩu",
    log_in: "Đăng nhập", log_out: "Đăng xuất", cancel: "Hủy",
    session_ended: "Phiên làm việc đã hết: hãy đăng nhập lại",
    role_viewer: "người xem", role_engineer: "kỹ sư", role_operator: "điều hành viên", role_admin: "quản trị",
    kpi: {
      lamps: "Đèn đường", cameras: "Camera", customers_without_service: "Khách hàng mất dịch vụ",
      households_with_fibre: "Hộ có cáp quang", open_incidents: "Sự cố đang mở",
      open_incidents_by_ward: "Sự cố đang mở theo phường", total: "tổng", failed: "hỏng", off: "tắt",
      working: "hoạt động", offline: "mất kết nối", uptime_percent: "% thời gian hoạt động",
      power: "điện", water: "nước", telecom: "viễn thông", failed_assets: "tài sản hỏng",
    },
  },
};

// Layer titles in Vietnamese (English titles come from /api/styles).
export const LAYER_TITLES_VI = {
  districts: "Quận, huyện", wards: "Phường, xã", water_areas: "Sông, hồ", roads: "Đường",
  buildings: "Công trình", trees: "Cây xanh", poles: "Cột", luminaires: "Đèn chiếu sáng",
  water_pipes: "Ống cấp nước", water_valves: "Van nước", hydrants: "Trụ cứu hỏa",
  water_junctions: "Nút cấp nước", water_service_connections: "Đấu nối cấp nước",
  water_sources: "Nguồn nước", water_tanks: "Bể chứa", water_pumps: "Máy bơm",
  drainage_pipes: "Cống thoát nước", manholes: "Hố ga", outfalls: "Cửa xả",
  substations: "Trạm biến áp nguồn", power_lines: "Đường dây và cáp điện",
  transformers: "Máy biến áp", power_switches: "Thiết bị đóng cắt", service_points: "Điểm cấp điện",
  central_offices: "Tổng đài (OLT)", telecom_cabinets: "Tủ viễn thông", splitters: "Bộ chia quang",
  fibre_cables: "Cáp quang", ducts: "Cống bể cáp", customer_terminals: "Thiết bị đầu cuối (ONT)",
  cameras: "Camera", sensors: "Cảm biến",
};

let language = globalThis.localStorage?.getItem("twin-lang") || "en";

export function t(key) {
  return DICTIONARIES[language][key] ?? DICTIONARIES.en[key] ?? key;
}

// A KPI's label (keys of /api/kpis), or the key itself with spaces.
export function kpiLabel(key) {
  return DICTIONARIES[language].kpi[key] ?? DICTIONARIES.en.kpi[key] ?? String(key).replaceAll("_", " ");
}

export function currentLanguage() {
  return language;
}

export function layerTitle(layer) {
  return language === "vi" ? LAYER_TITLES_VI[layer.name] ?? layer.title : layer.title;
}

// Switch language and rewrite every element marked data-i18n.
export function setLanguage(next) {
  language = next;
  localStorage.setItem("twin-lang", next);
  document.documentElement.lang = next;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
