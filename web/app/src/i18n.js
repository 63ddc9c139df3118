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
    // raising an incident by hand (the operations centre)
    raise_heading: "Raise an incident", raise_kind: "What happened",
    raise_kind_hint: "a kind from the list, or your own: lower-case words joined by _",
    raise_text: "Title", raise_assets: "Assets (ids, the incident is placed at the first)",
    raise_add: "Add the open asset", raise_assets_hint: "click an asset on the map, then Add",
    raise_note: "What the caller said", raise_submit: "Raise", raise_done: "Incident raised",
    raise_pick_first: "Click an asset on the map first: its panel opens, then Add takes it",
    kind_burst_main: "burst water main", kind_flooding: "flooding", kind_fire: "fire",
    kind_accident: "accident", kind_fallen_tree: "fallen tree", kind_power_outage: "power outage",
    // the planning view
    planning_view: "Planning", pl_area: "Area", pl_city: "Whole city", pl_metric: "Map shows",
    pl_count: "Number of", pl_renewal_cost: "Renewal cost, backlog and next 10 years (VND)",
    pl_kwh: "Street-lighting energy (kWh/year)", pl_fibre_households: "Households served by fibre",
    pl_fibre_groups: "Residential groups served by fibre",
    pl_camera_junctions: "Junctions covered by a camera", pl_lamps_working: "Street lamps working",
    pl_target: "target", pl_target_col: "Target", pl_report: "Report:",
    pl_report_note: "the report of this area to hand on (tables, charts, map)",
    pl_report_city_note: "the city's report to hand on, without the lighting what-ifs (twin report computes them)",
    pl_assets: "assets",
    pl_km: "km of lines", pl_backlog: "VND renewal backlog", pl_kwh_year: "kWh a year of street lighting",
    pl_targets_met: "targets met", pl_inventory: "Inventory and condition", pl_layer: "Layer",
    pl_count_col: "Count", pl_length_km: "Length (km)", pl_mean_age: "Mean age (years)", pl_good: "good",
    pl_fair: "fair", pl_poor: "poor", pl_failed: "failed", pl_poor_col: "Poor", pl_failed_col: "Failed", pl_unknown: "unknown", pl_age: "Age profile",
    pl_years: "years", pl_renewal: "Renewal cost by year", pl_year: "Year", pl_cost_vnd: "Cost (VND)",
    pl_million_vnd: "million VND", pl_backlog_short: "backlog", pl_energy: "Street-lighting energy",
    pl_luminaires: "Lamps", pl_installed_kw: "kW", pl_kwh_col: "kWh/year", pl_cost_year: "VND/year",
    pl_co2: "kg CO₂/year", pl_burning: "burning hours a year", pl_targets: "Programme targets",
    pl_served: "Served", pl_of: "Of", pl_share: "Share", pl_met: "Met", pl_yes: "yes", pl_no: "no",
    pl_reached: "reached",
    pl_assumption_note: "Unit costs, the tariff and the emission factor marked as assumptions are defaults the city has not confirmed yet.",
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
    // báo sự cố (trung tâm điều hành)
    raise_heading: "Báo sự cố", raise_kind: "Loại sự cố",
    raise_kind_hint: "chọn trong danh sách, hoặc tự đặt: chữ thường, nối bằng dấu _",
    raise_text: "Tiêu đề", raise_assets: "Tài sản (mã; sự cố được đặt tại tài sản đầu tiên)",
    raise_add: "Thêm tài sản đang mở", raise_assets_hint: "bấm vào một tài sản trên bản đồ, rồi bấm Thêm",
    raise_note: "Nội dung tin báo", raise_submit: "Báo sự cố", raise_done: "Đã báo sự cố",
    raise_pick_first: "Hãy bấm vào một tài sản trên bản đồ trước: bảng thông tin mở ra, rồi bấm Thêm",
    kind_burst_main: "vỡ ống cấp nước", kind_flooding: "ngập úng", kind_fire: "cháy",
    kind_accident: "tai nạn", kind_fallen_tree: "cây đổ", kind_power_outage: "mất điện",
    // the planning view
    planning_view: "Quy hoạch", pl_area: "Khu vực", pl_city: "Toàn thành phố", pl_metric: "Bản đồ thể hiện",
    pl_count: "Số lượng", pl_renewal_cost: "Chi phí thay thế, tồn đọng và 10 năm tới (VNĐ)",
    pl_kwh: "Điện năng chiếu sáng (kWh/năm)", pl_fibre_households: "Hộ gia đình có cáp quang",
    pl_fibre_groups: "Thôn, tổ dân phố có cáp quang", pl_camera_junctions: "Nút giao có camera giám sát",
    pl_lamps_working: "Đèn đường đang hoạt động", pl_target: "mục tiêu", pl_target_col: "Chỉ tiêu",
    pl_report: "Báo cáo:", pl_report_note: "báo cáo của khu vực này để chuyển tiếp (bảng, biểu đồ, bản đồ)",
    pl_report_city_note: "báo cáo của toàn thành phố để chuyển tiếp, không gồm các phương án tiết kiệm điện chiếu sáng (lệnh twin report tính các phương án này)",
    pl_assets: "tài sản", pl_km: "km tuyến", pl_backlog: "VNĐ tồn đọng cần thay thế",
    pl_kwh_year: "kWh chiếu sáng mỗi năm", pl_targets_met: "mục tiêu đã đạt",
    pl_inventory: "Kiểm kê và tình trạng", pl_layer: "Lớp", pl_count_col: "Số lượng",
    pl_length_km: "Chiều dài (km)", pl_mean_age: "Tuổi trung bình (năm)", pl_good: "tốt", pl_fair: "khá",
    pl_poor: "kém", pl_failed: "hỏng", pl_poor_col: "Kém", pl_failed_col: "Hỏng", pl_unknown: "không rõ", pl_age: "Cơ cấu tuổi", pl_years: "năm",
    pl_renewal: "Chi phí thay thế theo năm", pl_year: "Năm", pl_cost_vnd: "Chi phí (VNĐ)",
    pl_million_vnd: "triệu VNĐ", pl_backlog_short: "tồn đọng", pl_energy: "Điện năng chiếu sáng",
    pl_luminaires: "Số đèn", pl_installed_kw: "kW", pl_kwh_col: "kWh/năm", pl_cost_year: "VNĐ/năm",
    pl_co2: "kg CO₂/năm", pl_burning: "giờ chiếu sáng mỗi năm", pl_targets: "Mục tiêu chương trình",
    pl_served: "Được phục vụ", pl_of: "Trên tổng", pl_share: "Tỷ lệ", pl_met: "Đạt", pl_yes: "có",
    pl_no: "không", pl_reached: "đạt được",
    pl_assumption_note: "Đơn giá, giá điện và hệ số phát thải ghi là giả định là giá trị mặc định thành phố chưa xác nhận.",
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
  cameras: "Camera", sensors: "Cảm biến", residential_groups: "Tổ dân phố",
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
