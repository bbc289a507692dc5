// SPDX-License-Identifier: GPL-2.0-or-later
#define GLFW_INCLUDE_NONE
#include "window.hpp"

#include <GLFW/glfw3.h>
#include <GL/gl.h>
#include <png.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

namespace p2pscope::gui::ui {

namespace {

std::atomic<bool> g_input{false};
std::string g_glfw_error;

void on_glfw_error(int, const char* description) { g_glfw_error = description ? description : "unknown error"; }

void mark_input() { g_input.store(true, std::memory_order_relaxed); }
void on_cursor(GLFWwindow*, double, double) { mark_input(); }
void on_button(GLFWwindow*, int, int, int) { mark_input(); }
void on_scroll(GLFWwindow*, double, double) { mark_input(); }
void on_key(GLFWwindow*, int, int, int, int) { mark_input(); }
void on_char(GLFWwindow*, unsigned) { mark_input(); }
void on_size(GLFWwindow*, int, int) { mark_input(); }
void on_refresh(GLFWwindow*) { mark_input(); }
void on_focus(GLFWwindow*, int) { mark_input(); }
void on_enter(GLFWwindow*, int) { mark_input(); }
void on_iconify(GLFWwindow*, int) { mark_input(); }

void style() {
    ImGui::StyleColorsDark();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowRounding = 0;
    s.ChildRounding = 3;
    s.FrameRounding = 3;
    s.GrabRounding = 3;
    s.WindowPadding = ImVec2(8, 6);
    s.FramePadding = ImVec2(6, 3);
    s.ItemSpacing = ImVec2(8, 4);
    s.IndentSpacing = 12;
    s.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.105f, 0.115f, 1.0f);
    s.Colors[ImGuiCol_ChildBg] = ImVec4(0.13f, 0.135f, 0.15f, 1.0f);
    s.Colors[ImGuiCol_Border] = ImVec4(0.30f, 0.31f, 0.34f, 1.0f);
    s.Colors[ImGuiCol_Header] = ImVec4(0.22f, 0.36f, 0.55f, 0.70f);
    s.Colors[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.035f);
}

Fonts load_fonts() {
    ImGuiIO& io = ImGui::GetIO();
    Fonts f;
    // Debian's fonts-dejavu-core; ImGui's built-in font when it is not installed.
    const char* sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const char* mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
    std::error_code ec;
    if (std::filesystem::exists(sans, ec)) f.text = io.Fonts->AddFontFromFileTTF(sans, 15.0f);
    if (!f.text) f.text = io.Fonts->AddFontDefault();
    if (std::filesystem::exists(mono, ec)) f.mono = io.Fonts->AddFontFromFileTTF(mono, 14.0f);
    if (!f.mono) f.mono = f.text;
    io.FontDefault = f.text;
    return f;
}

}  // namespace

Result<std::unique_ptr<Window>> Window::open(const WindowOptions& o) {
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit())
        return make_error(Errc::unsupported, "cannot open a window: " +
                                                 (g_glfw_error.empty() ? std::string("GLFW failed to start") : g_glfw_error));
    std::unique_ptr<Window> w(new Window());
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 2);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, o.visible ? GLFW_TRUE : GLFW_FALSE);
    w->window_ = glfwCreateWindow(o.width, o.height, o.title.c_str(), nullptr, nullptr);
    if (!w->window_)
        return make_error(Errc::unsupported, "cannot open a window with OpenGL 3.2: " +
                                                 (g_glfw_error.empty() ? std::string("no reason given") : g_glfw_error));
    glfwMakeContextCurrent(w->window_);
    glfwSwapInterval(o.vsync ? 1 : 0);

    // Our callbacks first: ImGui's backend chains to them.
    glfwSetMouseButtonCallback(w->window_, on_button);
    glfwSetScrollCallback(w->window_, on_scroll);
    glfwSetKeyCallback(w->window_, on_key);
    glfwSetCharCallback(w->window_, on_char);
    glfwSetWindowFocusCallback(w->window_, on_focus);
    glfwSetCursorEnterCallback(w->window_, on_enter);
    glfwSetCursorPosCallback(w->window_, on_cursor);
    glfwSetFramebufferSizeCallback(w->window_, on_size);
    glfwSetWindowRefreshCallback(w->window_, on_refresh);
    glfwSetWindowIconifyCallback(w->window_, on_iconify);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    w->imgui_ready_ = true;
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is the program's, nothing is written to the working directory
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    style();
    w->fonts_ = load_fonts();
    if (!ImGui_ImplGlfw_InitForOpenGL(w->window_, true))
        return make_error(Errc::unsupported, "cannot open a window: ImGui's GLFW backend failed to start");
    w->glfw_backend_ = true;
    if (!ImGui_ImplOpenGL3_Init("#version 150"))
        return make_error(Errc::unsupported, "cannot open a window: ImGui's OpenGL 3 backend failed to start");
    w->gl_backend_ = true;
    return w;
}

Window::~Window() {
    if (gl_backend_) ImGui_ImplOpenGL3_Shutdown();
    if (glfw_backend_) ImGui_ImplGlfw_Shutdown();
    if (imgui_ready_) ImGui::DestroyContext();
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
}

bool Window::should_close() const { return glfwWindowShouldClose(window_); }

bool Window::take_input() { return g_input.exchange(false, std::memory_order_relaxed); }

void Window::post_wakeup() { glfwPostEmptyEvent(); }

std::pair<int, int> Window::framebuffer_size() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    return {w, h};
}

void Window::place_pointer(double x, double y) {
    glfwFocusWindow(window_);
    glfwSetCursorPos(window_, x, y);
}

std::string Window::renderer() const {
    const auto* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const auto* v = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    return std::string(r ? r : "unknown") + ", OpenGL " + (v ? v : "?");
}

void Window::begin_frame() {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void Window::end_frame(Image* capture, Timing* timing) {
    using clock = std::chrono::steady_clock;
    const auto ms = [](clock::time_point a, clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const auto t0 = clock::now();
    ImGui::Render();
    const auto t1 = clock::now();
    const auto [w, h] = framebuffer_size();
    glViewport(0, 0, w, h);
    glClearColor(0.10f, 0.105f, 0.115f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (timing) glFinish();
    const auto t2 = clock::now();
    if (capture) {
        capture->width = w;
        capture->height = h;
        capture->rgba.assign(static_cast<size_t>(w) * static_cast<size_t>(h) * 4, 0);
        std::vector<uint8_t> flipped(capture->rgba.size());
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, flipped.data());
        const size_t row = static_cast<size_t>(w) * 4;
        for (int y = 0; y < h; ++y)  // GL's first row is the bottom one
            std::memcpy(&capture->rgba[static_cast<size_t>(y) * row], &flipped[static_cast<size_t>(h - 1 - y) * row], row);
    }
    const auto t3 = clock::now();
    glfwSwapBuffers(window_);
    if (timing) {
        glFinish();
        *timing = {ms(t0, t1), ms(t1, t2), ms(t3, clock::now())};
    }
}

Texture::~Texture() {
    if (tex_) glDeleteTextures(1, &tex_);
}

void Texture::upload(int width, int height, const uint8_t* rgba) {
    if (!tex_) glGenTextures(1, &tex_);
    glBindTexture(GL_TEXTURE_2D, tex_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
}

void* Texture::id() const { return reinterpret_cast<void*>(static_cast<uintptr_t>(tex_)); }

// ---- PNG ---------------------------------------------------------------------

namespace {
struct File {
    FILE* f = nullptr;
    ~File() {
        if (f) std::fclose(f);
    }
};
}  // namespace

Status write_png(const std::string& path, const Image& img) {
    if (img.width <= 0 || img.height <= 0) return make_error(Errc::invalid_argument, path + ": empty image");
    File file;
    file.f = std::fopen(path.c_str(), "wb");
    if (!file.f) return make_error(Errc::system, path + ": cannot create: " + std::strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return make_error(Errc::system, path + ": libpng could not start");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return make_error(Errc::system, path + ": cannot write the PNG");
    }
    png_init_io(png, file.f);
    png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 9);
    png_write_info(png, info);
    png_set_filler(png, 0, PNG_FILLER_AFTER);  // rows are RGBA; the file is RGB (the frame is opaque)
    for (int y = 0; y < img.height; ++y)
        png_write_row(png, img.rgba.data() + static_cast<size_t>(y) * static_cast<size_t>(img.width) * 4);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fflush(file.f) != 0) return make_error(Errc::system, path + ": cannot write: " + std::strerror(errno));
    return Ok{};
}

Result<Image> read_png(const std::string& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path.c_str()))
        return make_error(Errc::bad_input, path + ": not a readable PNG (" + image.message + ")");
    image.format = PNG_FORMAT_RGBA;
    Image out;
    out.width = static_cast<int>(image.width);
    out.height = static_cast<int>(image.height);
    out.rgba.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
        std::string m = image.message;
        png_image_free(&image);
        return make_error(Errc::bad_input, path + ": " + m);
    }
    return out;
}

}  // namespace p2pscope::gui::ui
